import GroupEvents

/// Reads a recorded file chunk by chunk and decodes it, so that a replay can start playing the
/// beginning of a long recording while the rest is still being read.
///
/// The first chunk is read at once by the command (a missing file or an unreadable header is
/// reported before the dashboard starts); ``start(into:)`` reads the rest in a task and hands
/// each chunk's records over through a bounded mailbox. Diagnostics are not handed over as
/// records: the decoder's counters, sent with every chunk, say how many lines were skipped.
final class RecordingLoader: @unchecked Sendable {
    /// One chunk's worth of the file, decoded.
    struct Chunk: Sendable {
        var records: [WireRecord]
        var counters: WireDecoder.Counters
        /// The end of the file was reached: no chunk follows.
        var isLast: Bool
        /// Why reading stopped early, when it did.
        var failure: String?
    }

    /// Bytes read at a time: about 6,000 events, decoded in a few milliseconds.
    static let chunkBytes = 1 << 20

    let path: String
    // Touched by one thread at a time: the command's, then the loader task's only.
    private let fd: Int32
    private var decoder = WireDecoder()
    private var buffer = [UInt8](repeating: 0, count: RecordingLoader.chunkBytes)
    private var isDone = false

    /// Opens `path` for reading.
    init(path: String) throws(SystemError) {
        self.path = path
        fd = try Posix.openForReading(path)
    }

    deinit { Posix.close(fd) }

    /// Reads and decodes the next chunk; the last one has ``Chunk/isLast`` set.
    func next() -> Chunk {
        var records: [WireRecord] = []
        var failure: String?
        do {
            let count = try buffer.withUnsafeMutableBytes { (raw) throws(SystemError) -> Int in
                try Posix.read(fd, into: raw, subject: path)
            }
            if count > 0 {
                try decoder.feed(buffer[..<count])
            } else {
                try decoder.finish()
                isDone = true
            }
        } catch let error as SystemError {
            failure = error.description
        } catch {
            failure = "\(TextSanitizer.sanitize(path)): \(error)"
        }
        while let record = decoder.next() {
            if case .diagnostic = record { continue }
            records.append(record)
        }
        if failure != nil { isDone = true }
        return Chunk(records: records, counters: decoder.counters, isLast: isDone, failure: failure)
    }

    /// Reads the rest of the file in a task, handing the chunks over through `mailbox`; a full
    /// mailbox holds the task back until the run loop has taken some.
    func start(into mailbox: BoundedMailbox<Chunk>) -> Task<Void, Never> {
        Task.detached { [self] in
            while !Task.isCancelled {
                let chunk = next()
                while !mailbox.offer(chunk) {
                    if Task.isCancelled { return }
                    try? await Task.sleep(for: .milliseconds(5))
                }
                if chunk.isLast { return }
            }
        }
    }
}
