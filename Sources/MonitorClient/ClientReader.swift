import GroupEvents
import Glibc
import SystemCalls

/// The reader thread of one ``MonitorMessages`` iteration: connects, reads, decodes, and
/// reconnects, pushing what it learns into a ``MessageChannel``.
///
/// A thread rather than a task because it blocks in `poll`; it wakes on the socket, on the
/// channel's eventfd (room again, or cancelled), or on a timeout (backoff, silence).
/// `@unchecked Sendable` because it is handed to its thread once and used there alone.
final class ClientReader: @unchecked Sendable {
    private let client: MonitorClient
    private let channel: MessageChannel
    private var generator = SystemRandomNumberGenerator()
    private var lastHeader: WireHeader?
    private var attempt = 0
    private var everAttached = false
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    private init(client: MonitorClient, channel: MessageChannel) {
        self.client = client
        self.channel = channel
    }

    /// Starts the thread; it ends when the channel is cancelled or the stream is over.
    static func start(client: MonitorClient, channel: MessageChannel) throws(PosixError) {
        let reader = ClientReader(client: client, channel: channel)
        let thread = try Posix.startThread(name: "safegroup-view") { reader.run() }
        Posix.detach(thread)
    }

    /// How a connection ended.
    private enum Outcome {
        case lost(String)
        /// The monitor refused this viewer (too many attached) before sending a header.
        case refused(String)
        case cancelled
        case failed(MonitorClientError)
    }

    private func run() {
        var path: String { client.path }
        while !channel.isCancelled {
            let fd: Int32
            do {
                fd = try Posix.connectedSocket(path: path)
            } catch {
                if !everAttached && !client.waitsForService {
                    channel.finish(.cannotAttach(path, error))
                    return
                }
                guard retry(after: MonitorClientError.attachFailure(error), wasAttached: false) else { return }
                continue
            }
            let outcome = read(fd)
            Posix.close(fd)
            switch outcome {
            case .cancelled:
                return
            case .failed(let error):
                channel.finish(error)
                return
            case .lost(let reason):
                guard retry(after: reason, wasAttached: true) else { return }
            case .refused(let reason):
                // Like a failed connect: this viewer was never attached.
                if !everAttached && !client.waitsForService {
                    // The monitor's refusal already says what to do ("try again later").
                    channel.finish(MonitorClientError(.cannotAttach, path: path, "cannot attach to \(TextSanitizer.sanitize(path)): \(reason)"))
                    return
                }
                guard retry(after: reason, wasAttached: false) else { return }
            }
        }
    }

    /// Reports the loss and waits for the next attempt; false when there is none.
    private func retry(after reason: String, wasAttached: Bool) -> Bool {
        guard client.reconnects || (!wasAttached && client.waitsForService && !everAttached) else {
            channel.push(.disconnected(Disconnection(path: client.path, reason: reason, wasAttached: wasAttached, retryIn: nil)))
            channel.finish(nil)
            return false
        }
        let delay = client.backoff.delay(attempt: attempt, using: &generator)
        attempt += 1
        channel.push(.disconnected(Disconnection(path: client.path, reason: reason, wasAttached: wasAttached, retryIn: delay)))
        return sleep(delay)
    }

    /// Waits `delay` on the wake-up descriptor; false when cancelled meanwhile.
    private func sleep(_ delay: Duration) -> Bool {
        let end = Posix.monotonicNanoseconds() &+ Posix.nanoseconds(delay)
        while !channel.isCancelled {
            let now = Posix.monotonicNanoseconds()
            guard now < end else { return true }
            let milliseconds = Int32(min((end - now) / 1_000_000 + 1, 1000))
            if (try? Posix.waitReadable(channel.wakeFD, timeoutMilliseconds: milliseconds)) == true {
                Posix.drain(eventfd: channel.wakeFD)
            }
        }
        return false
    }

    // MARK: One connection

    private func read(_ fd: Int32) -> Outcome {
        var decoder = client.passesLinesThrough ? WireDecoder(passThroughWithMaxLineLength: WireFormat.defaultMaxLineLength) : WireDecoder()
        var firstLine = RefusalDetector()
        var lastByte = Posix.monotonicNanoseconds()
        let silence = client.silenceTimeout.map(Posix.nanoseconds)
        while true {
            if channel.isCancelled { return .cancelled }
            let reading = channel.hasRoom
            var fds = [
                pollfd(fd: channel.wakeFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: reading ? fd : -1, events: Int16(POLLIN), revents: 0),
            ]
            // Wake at least once a second to look at the silence deadline.
            let ready: Int
            do { ready = try Posix.poll(&fds, timeoutMilliseconds: 1000) } catch {
                return .failed(MonitorClientError(.system, path: client.path, "cannot read \(TextSanitizer.sanitize(client.path)): \(error)"))
            }
            if ready > 0, fds[0].revents != 0 { Posix.drain(eventfd: channel.wakeFD) }
            let now = Posix.monotonicNanoseconds()
            guard reading, fds[1].revents != 0 else {
                // Time spent waiting for the consumer is not the service's silence.
                if !reading { lastByte = now }
                if let silence, now &- lastByte > silence {
                    return .lost("no data for \(ReconnectBackoff.seconds(client.silenceTimeout!)) s (the service may be hung)")
                }
                continue
            }
            let path = client.path
            let received = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(PosixError) in try Posix.receive(fd, into: raw, path: path) }
            }
            let count: Int?
            switch received {
            case .success(let n): count = n
            case .failure(let error):
                finishLine(&decoder)
                return .lost(Self.lossReason(error))
            }
            guard let count else { continue }
            guard count > 0 else {
                finishLine(&decoder)
                if let refusal = firstLine.refusal { return .refused("refused: \(refusal)") }
                return .lost("the service closed the connection")
            }
            lastByte = now
            let chunk = buffer[..<count]
            firstLine.look(at: chunk)
            if firstLine.isRefusal { continue }
            do {
                try decoder.feed(chunk)
            } catch {
                deliver(&decoder)
                return .failed(MonitorClientError(.unreadableStream, path: client.path,
                    "cannot read \(TextSanitizer.sanitize(client.path)): \(error)", formatError: error))
            }
            deliver(&decoder)
        }
    }

    /// Reads the end of the input (a torn last line is reported).
    private func finishLine(_ decoder: inout WireDecoder) {
        try? decoder.finish()
        deliver(&decoder)
    }

    private func deliver(_ decoder: inout WireDecoder) {
        if client.passesLinesThrough {
            while let read = decoder.nextPassThrough() {
                switch read {
                case .lines(let bytes, let count): channel.push(.lines(bytes, count: count))
                case .record(let record): deliver(record)
                }
            }
            return
        }
        while let record = decoder.next() { deliver(record) }
    }

    private func deliver(_ record: WireRecord) {
        switch record {
        case .header(let header):
            let session: SessionChange =
                if let last = lastHeader {
                    last.pid == header.pid && last.epochUnixNanoseconds == header.epochUnixNanoseconds
                        && last.service == header.service ? .resumed : .restarted
                } else { .first }
            lastHeader = header
            everAttached = true
            attempt = 0
            channel.push(.attached(header, session: session))
        case .event(let seq, let event):
            channel.push(.event(seq: seq, event))
        case .diagnostic(let note):
            channel.push(.diagnostic(note))
        }
    }

    private static func lossReason(_ error: PosixError) -> String {
        switch error.errno {
        case ECONNRESET: "connection reset"
        case EPIPE: "broken pipe"
        default: error.reason
        }
    }
}

/// Tells the monitor's one-line refusal (`{"refused":"too many viewers: …"}`) from a stream.
///
/// The refusal is not a wire-format line, so the decoder would call it malformed; the client
/// reports it as the reason the connection ended instead.
struct RefusalDetector {
    private static let prefix = Array(#"{"refused":""#.utf8)
    private var firstBytes: [UInt8] = []
    private var decided = false
    private(set) var isRefusal = false

    mutating func look(at chunk: ArraySlice<UInt8>) {
        if isRefusal {
            firstBytes.append(contentsOf: chunk.prefix(512 - min(512, firstBytes.count)))
            return
        }
        guard !decided else { return }
        firstBytes.append(contentsOf: chunk.prefix(Self.prefix.count))
        if firstBytes.count >= Self.prefix.count {
            decided = true
            isRefusal = firstBytes.starts(with: Self.prefix)
            if isRefusal { firstBytes.append(contentsOf: chunk.dropFirst(Self.prefix.count).prefix(512)) }
        } else if !Self.prefix.starts(with: firstBytes) {
            decided = true
        }
    }

    /// The refusal's text, cut at its closing quote and reduced to printable ASCII.
    var refusal: String? {
        guard isRefusal else { return nil }
        let text = firstBytes.dropFirst(Self.prefix.count).prefix { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\n") }
        return String(decoding: text.map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
