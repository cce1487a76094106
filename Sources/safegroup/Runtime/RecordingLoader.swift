import GroupEvents
import SystemCalls

/// Reads a recorded file chunk by chunk and indexes it for the replay: the time of each record,
/// where the faults and headers are, and places in the file to decode records from again.
///
/// The replay does not keep the records themselves (a million events would take ~300 MiB): it
/// keeps the ``ReplayTimeline`` this loader builds (16 bytes a record) and decodes what it feeds
/// the dashboard from the file again with a ``RecordReader``. A file that cannot be read twice (a
/// pipe, `<(…)`) is copied as it is read into an unnamed temporary file, which the reader reads.
///
/// The first chunk is read at once by the command (a missing file or an unreadable header is
/// reported before the dashboard starts); ``start(into:)`` reads the rest in a task and hands
/// each chunk's index over through a bounded mailbox. Diagnostics are not records: the
/// decoder's counters, sent with every chunk, say how many lines were skipped.
final class RecordingLoader: @unchecked Sendable {
    /// One chunk's worth of the file, indexed.
    struct Chunk: Sendable {
        /// The records the chunk completed, in file order.
        var entries: [ReplayTimeline.Entry]
        /// The start of the line after the chunk's last newline: records can be decoded from there.
        var checkpoint: ReplayTimeline.Checkpoint?
        /// Bytes read so far (and, for a pipe, copied to the spool): a reader may read up to here.
        var bytesRead: Int64
        var counters: WireDecoder.Counters
        /// The end of the file was reached: no chunk follows.
        var isLast: Bool
        /// Why reading stopped early, when it did.
        var failure: String?
    }

    /// Bytes read at a time: about 6,000 events, decoded in a few milliseconds. Also the
    /// spacing of checkpoints, so a seek decodes at most this much to reach its record.
    static let chunkBytes = 1 << 20
    /// How large the copy of a pipe may grow (4 GiB): past it the replay stops reading, says so,
    /// and plays what it has. `replay <(cat /dev/zero)` would fill the disk otherwise.
    static let defaultSpoolLimit: Int64 = 4 << 30

    let path: String
    // Touched by one thread at a time: the command's, then the loader task's only.
    private let fd: Int32
    /// The copy of a pipe's bytes, for the reader; nil for a file, which the reader opens itself.
    private let spool: Int32?
    private var decoder = WireDecoder()
    private var buffer = [UInt8](repeating: 0, count: RecordingLoader.chunkBytes)
    private var bytesRead: Int64 = 0
    private var records = 0
    private var isDone = false
    /// The most bytes of a pipe copied to the spool.
    let spoolLimit: Int64

    /// Opens `path` for reading; `seekable` is false for a pipe, which is then spooled (up to
    /// `spoolLimit` bytes).
    init(path: String, seekable: Bool, spoolLimit: Int64 = RecordingLoader.defaultSpoolLimit) throws(PosixError) {
        self.path = path
        self.spoolLimit = spoolLimit
        fd = try Posix.openForReading(path)
        if seekable {
            spool = nil
        } else {
            do {
                spool = try Posix.unnamedTemporaryFile()
            } catch {
                Posix.close(fd)
                throw error
            }
        }
    }

    deinit {
        Posix.close(fd)
        if let spool { Posix.close(spool) }
    }

    /// A reader of this recording's records by number: on the file, or on the spool of a pipe.
    func makeReader() throws(PosixError) -> RecordReader {
        if let spool { return RecordReader(fd: try Posix.duplicate(spool, subject: path), subject: path) }
        return RecordReader(fd: try Posix.openForReading(path), subject: path)
    }

    /// Reads and indexes the next chunk; the last one has ``Chunk/isLast`` set.
    func next() -> Chunk {
        var entries: [ReplayTimeline.Entry] = []
        var checkpoint: ReplayTimeline.Checkpoint?
        var failure: String?
        do {
            // A pipe is read no further than its copy may grow.
            let room = spool == nil ? buffer.count : Int(min(Int64(buffer.count), max(0, spoolLimit - bytesRead)))
            if room == 0 {
                let limit = spoolLimit >= 1 << 30 ? "\(spoolLimit >> 30) GiB" : "\(spoolLimit >> 20) MiB"
                throw CommandFailure("stopped copying \(TextSanitizer.sanitize(path)) at \(limit): a pipe is replayed from a copy on disk, and that is as large as the copy may grow (save the stream to a file and replay the file)")
            }
            let count = try buffer.withUnsafeMutableBytes { (raw) throws(PosixError) -> Int in
                try Posix.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<room]), subject: path)
            }
            if count > 0 {
                if let spool {
                    let subject = "the copy of \(path)"
                    try buffer.withUnsafeBytes { raw in
                        Result { () throws(PosixError) in
                            try Posix.writeAll(spool, UnsafeRawBufferPointer(rebasing: raw[..<count]), subject: subject)
                        }
                    }.get()
                }
                // Counted before decoding: when a header this build cannot read stops the
                // decoder, the records before it are still indexed (below), and the reader
                // must be allowed to read up to that header to find them again.
                let chunkStart = bytesRead
                bytesRead += Int64(count)
                // A line starts after the last newline (even one that ends an over-long line):
                // decoding from there gives the same records as reading on.
                if let newline = buffer[..<count].lastIndex(of: UInt8(ascii: "\n")) {
                    try decoder.feed(buffer[...newline])
                    take(into: &entries)
                    checkpoint = ReplayTimeline.Checkpoint(record: records, offset: chunkStart + Int64(newline + 1))
                    try decoder.feed(buffer[(newline + 1)..<count])
                } else {
                    try decoder.feed(buffer[..<count])
                }
            } else {
                try decoder.finish()
                isDone = true
            }
        } catch let error as PosixError {
            failure = error.description
        } catch let error as CommandFailure {
            failure = error.message
        } catch {
            failure = "\(TextSanitizer.sanitize(path)): \(error)"
        }
        take(into: &entries)
        if failure != nil { isDone = true }
        return Chunk(entries: entries, checkpoint: checkpoint, bytesRead: bytesRead, counters: decoder.counters,
                     isLast: isDone, failure: failure)
    }

    /// The decoder's records as timeline entries; diagnostics are counted, not kept.
    private func take(into entries: inout [ReplayTimeline.Entry]) {
        while let record = decoder.next() {
            switch record {
            case .header:
                entries.append(.header)
            case .event(_, let event):
                var isFault = false
                if case .faultRecorded = event.kind { isFault = true }
                entries.append(.event(time: event.time.rawValue, isFault: isFault))
            case .diagnostic:
                continue
            }
            records += 1
        }
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
