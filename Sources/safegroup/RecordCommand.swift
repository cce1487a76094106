import ArgumentParser
import GroupEvents
import MonitorClient
import SystemCalls

/// `safegroup record [SOCKET] [--pid PID] --output FILE [--duration SECONDS]`.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a service's event stream (header, snapshot, events, drops) to a file.",
        discussion: """
            With neither SOCKET nor --pid, records the only live service (see 'safegroup list'). \
            Runs until SIGINT or SIGTERM, or for --duration seconds; the file then ends with a \
            whole line. If the service restarts, recording goes on after a new header line. \
            The file is NDJSON in the wire format (docs/PROTOCOL.md); read it with \
            'safegroup dump FILE' or jq.
            """
    )

    @Argument(help: "The service's socket path, or a remote service: ssh://[user@]host[:port][/path/to/socket].", completion: LiveSocketCompletion.kind)
    var socket: String?

    @Option(name: .long, help: "Record the live service with this process id.")
    var pid: Int32?

    @Option(name: [.short, .long], help: "The file to write (created or truncated, mode 0600).")
    var output: String

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double?

    func validate() throws {
        if socket != nil && pid != nil { throw ValidationError("give SOCKET or --pid, not both") }
        if let duration, !(duration > 0 && duration < 1e9) { throw ValidationError("--duration must be a positive number of seconds") }
    }

    func run() async throws {
        try await runReportingFailures {
            let tunnel = try await socket.flatMap { RemoteService.isRemote($0) ? $0 : nil }.asyncMap { try await RemoteSelection.open($0, pick: false) }
            defer { tunnel?.close() }
            let path: String
            if let tunnel { path = tunnel.localPath } else { path = try await ServiceSelection.socket(explicit: socket, pid: pid) }
            let signals = SignalWatcher()
            let fd = try Posix.createForWriting(output)
            defer { Posix.close(fd) }
            let recording = Recording(path: path, output: OutputStream(fd: fd, name: output))
            let stopAfter = duration.map { Duration.nanoseconds(Int64($0 * 1e9)) }
            let result = await withTaskGroup(of: Result<Recording.Summary, CommandFailure>?.self) { group in
                group.addTask { await recording.run() }
                group.addTask {
                    await signals.next()
                    return nil
                }
                if let stopAfter {
                    group.addTask {
                        try? await Task.sleep(for: stopAfter)
                        return nil
                    }
                }
                // Whichever ends first ends the others; the recording then finishes its last line.
                var outcome = await group.next() ?? nil
                group.cancelAll()
                for await case let result? in group { outcome = result }
                return outcome
            }
            switch result {
            case .success(let summary)?:
                reportToStandardError("recorded \(summary.events) events in \(summary.sessions) session\(summary.sessions == 1 ? "" : "s") to \(output) (\(summary.bytes) bytes)")
            case .failure(let failure)?:
                throw failure
            case nil:
                break
            }
        }
    }
}

/// The loop of `record`: the stream's lines go to the file as they came.
///
/// The client passes event lines through undecoded (``MonitorClient/passesLinesThrough``),
/// checking framing, the header and `seq`; so recording costs a copy of the bytes, not a
/// decode and an encode per event, and the file holds the bytes the service sent. Headers are
/// decoded (to follow restarts) and written again, which gives their bytes back unchanged.
struct Recording: Sendable {
    /// How many messages (each up to a socket read of lines) wait for the writer: a few MiB.
    static let queueCapacity = 64

    struct Summary: Sendable {
        var events: UInt64 = 0
        var sessions = 0
        var bytes: UInt64 = 0
    }

    let path: String
    let output: OutputStream

    /// Records until the stream ends or the task is cancelled; the file always ends with a whole line.
    func run() async -> Result<Summary, CommandFailure> {
        var output = self.output
        var summary = Summary()
        let encoder = WireEncoder()
        var messages = MonitorClient(path: path, queueCapacity: Self.queueCapacity, passesLinesThrough: true)
            .messages().makeAsyncIterator()
        do {
            while let message = try await messages.next() {
                switch message {
                case .attached(let header, let session):
                    summary.sessions += 1
                    if session == .restarted {
                        reportToStandardError("\(path): the service restarted (now pid \(header.pid)); recording the new session")
                    }
                    try output.withBuffer { encoder.encodeHeader(header, into: &$0) }
                case .lines(let bytes, let count):
                    summary.events += UInt64(count)
                    try output.withBuffer { $0.append(contentsOf: bytes) }
                case .event(let seq, let event):
                    // Not sent to a client that passes lines through; written as decoding would.
                    summary.events += 1
                    try output.withBuffer { encoder.encode(event, seq: seq, into: &$0) }
                case .diagnostic(let note):
                    reportToStandardError("\(path): \(note)")
                case .disconnected(let loss):
                    reportToStandardError(loss.description)
                }
                // Write when the reader has nothing more waiting: whole lines only, in batches.
                if !messages.hasBufferedMessages { try output.flush() }
            }
            try output.flush()
        } catch let error as MonitorClientError {
            try? output.flush()
            return .failure(CommandFailure(error.message))
        } catch let error as PosixError {
            return .failure(CommandFailure(error.description))
        } catch {
            return .failure(CommandFailure("\(error)"))
        }
        summary.bytes = output.written
        return .success(summary)
    }
}
