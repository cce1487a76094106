/// A bounded buffer of whole wire lines waiting to be written to one viewer or one file.
///
/// A line that does not fit is lost whole, never cut, and counted. Once a line is lost, every
/// later line is lost too until the reader has caught up (the buffer is at most half full);
/// then an in-band `dropped` line with the count goes in first, carrying the `seq` of the last
/// lost line, so `seq` keeps increasing and the gap before the notice is exactly its count.
struct LineBuffer {
    /// The most bytes the buffer holds.
    let capacity: Int
    fileprivate var bytes: [UInt8] = []
    private var start = 0
    /// Lines lost since the last in-band notice.
    private(set) var unreported: UInt64 = 0
    private var lastLostSeq: UInt64 = 0
    /// Lines lost in all.
    private(set) var lost: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Bytes waiting to be written.
    var pending: Int { bytes.count - start }
    /// True while lines are being lost (the buffer filled and the reader has not caught up).
    var isLosing: Bool { unreported > 0 }

    /// Appends `line` (one whole line with its newline) that carries `seq`, or loses it.
    mutating func append(_ line: UnsafeRawBufferPointer, seq: UInt64, encoder: inout LineEncoder) {
        if isLosing { catchUp(encoder: &encoder) }
        if !isLosing && pending + line.count <= capacity {
            bytes.append(contentsOf: line)
        } else {
            unreported &+= 1
            lost &+= 1
            lastLostSeq = seq
        }
    }

    /// Appends many lines at once: `chunk` holds them back to back, `lines` gives where each
    /// ends and its `seq`.
    mutating func append(chunk: [UInt8], lines: [LineEncoder.Mark], encoder: inout LineEncoder) {
        if isLosing { catchUp(encoder: &encoder) }
        if !isLosing && pending + chunk.count <= capacity {
            bytes.append(contentsOf: chunk)
            return
        }
        chunk.withUnsafeBytes { raw in
            var from = 0
            for mark in lines {
                append(UnsafeRawBufferPointer(rebasing: raw[from..<mark.end]), seq: mark.seq, encoder: &encoder)
                from = mark.end
            }
        }
    }

    /// Appends the in-band notice when lines were lost and the reader has caught up.
    mutating func catchUp(encoder: inout LineEncoder) {
        guard isLosing, pending <= capacity / 2 else { return }
        let notice = encoder.line(for: .init(.dropped(.init(count: unreported))), seq: lastLostSeq)
        bytes.append(contentsOf: notice)
        unreported = 0
    }

    /// Gives the waiting bytes to `write`, which returns how many it wrote, or nil on failure
    /// (then nothing is consumed and nil is returned).
    mutating func drain(_ write: (UnsafeRawBufferPointer) -> Int?) -> Int? {
        guard pending > 0 else { return 0 }
        let from = start
        guard let written = bytes.withUnsafeBytes({ write(UnsafeRawBufferPointer(rebasing: $0[from...])) }) else {
            return nil
        }
        start += written
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.capacity <= 64 * 1024)
            start = 0
        } else if start >= capacity / 2 {
            bytes.removeFirst(start)
            start = 0
        }
        return written
    }
}

extension LineBuffer {
    /// Appends the stream's header, which is never lost (the buffer is empty when it goes in).
    mutating func append(headerLine: [UInt8]) {
        bytes.append(contentsOf: headerLine)
    }
}
