import GroupEvents
import SystemCalls

/// Decodes a recording's records again, by number, for the replay: from the file (or the
/// loader's copy of a pipe), starting at the nearest ``ReplayTimeline/Checkpoint``.
///
/// Playing forward reads on from where the last call stopped; a seek back or far ahead starts
/// again from the checkpoint at or before the first record asked for (at most one loader chunk
/// away). Only the records of one read (up to ``readBytes``) wait here between calls.
struct RecordReader {
    /// Bytes read at a time: about 1,500 events.
    static let readBytes = 256 << 10
    /// Records handed over per batch at most, so that a long move never holds a million at once.
    static let batchSize = 8_192

    /// Owned: closed by ``close()``.
    private let fd: Int32
    private let subject: String
    private var decoder = WireDecoder()
    /// The file offset of the next byte to decode.
    private var offset: Int64 = 0
    /// Decoded records not handed over yet; `waiting[head]` is record number `next`.
    private var waiting: [WireRecord] = []
    private var head = 0
    private var next = 0
    /// The decoder has been finished (the end of the file was read).
    private var isFinished = false
    private var bytes = [UInt8](repeating: 0, count: RecordReader.readBytes)

    init(fd: Int32, subject: String) {
        self.fd = fd
        self.subject = subject
    }

    func close() { Posix.close(fd) }

    /// Hands records `range` to `deliver`, in order, in batches of at most ``batchSize``.
    ///
    /// - Parameters:
    ///   - limit: Bytes of the file the loader has read: the records of `timeline` all lie
    ///     before it, and what lies after may be a line still being written.
    ///   - isComplete: The loader reached the end of the file: at `limit`, the last line
    ///     (without its newline) is read as the loader read it.
    /// - Returns: How many records were handed over: fewer than `range.count` only when the
    ///   file changed under the replay.
    @discardableResult
    mutating func read(_ range: Range<Int>, in timeline: ReplayTimeline, limit: Int64, isComplete: Bool,
                       deliver: ([WireRecord]) -> Void) throws(PosixError) -> Int {
        guard !range.isEmpty else { return 0 }
        let checkpoint = timeline.checkpoint(atOrBefore: range.lowerBound)
        let decodedUpTo = next + waiting.count - head
        if range.lowerBound < next || checkpoint.record > decodedUpTo {
            reposition(at: checkpoint)
        }
        var batch: [WireRecord] = []
        batch.reserveCapacity(min(range.count, Self.batchSize))
        var handed = 0
        while next < range.upperBound {
            if head == waiting.count {
                guard try decodeMore(limit: limit, isComplete: isComplete) else { break }
                continue
            }
            if next >= range.lowerBound {
                batch.append(waiting[head])
                if batch.count == Self.batchSize {
                    handed += batch.count
                    deliver(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            head += 1
            next += 1
        }
        if !batch.isEmpty {
            handed += batch.count
            deliver(batch)
        }
        return handed
    }

    private mutating func reposition(at checkpoint: ReplayTimeline.Checkpoint) {
        decoder = WireDecoder()
        offset = checkpoint.offset
        next = checkpoint.record
        waiting.removeAll(keepingCapacity: true)
        head = 0
        isFinished = false
    }

    /// Reads and decodes until some records wait; false at the end of what can be read now.
    private mutating func decodeMore(limit: Int64, isComplete: Bool) throws(PosixError) -> Bool {
        waiting.removeAll(keepingCapacity: waiting.capacity <= 4 * Self.batchSize)
        head = 0
        while waiting.isEmpty {
            if isFinished { return false }
            let room = Int(min(Int64(bytes.count), max(0, limit - offset)))
            var count = 0
            if room > 0 {
                let (fd, offset, subject) = (self.fd, self.offset, self.subject)
                count = try bytes.withUnsafeMutableBytes { raw in
                    Result { () throws(PosixError) -> Int in
                        try Posix.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<room]), at: offset, subject: subject)
                    }
                }.get()
            } else if !isComplete {
                return false  // the loader has not read further yet
            }
            if count > 0 {
                offset += Int64(count)
                // A header this build cannot read stops the decoder here, as it stopped the loader.
                try? decoder.feed(bytes[..<count])
            } else {
                try? decoder.finish()
                isFinished = true
            }
            while let record = decoder.next() {
                if case .diagnostic = record { continue }
                waiting.append(record)
            }
        }
        return true
    }
}
