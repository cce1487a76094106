/// A bounded buffer of whole wire lines waiting to be written to one viewer or one file.
///
/// A line that does not fit is lost whole, never cut, and counted. Once a line is lost, every
/// later routine line is lost too until the reader has caught up (the buffer is at most half
/// full); then an in-band `dropped` line with the count goes in first, carrying the `seq` of the
/// last lost line, so `seq` keeps increasing and the gap before the notice is exactly its count.
///
/// The last ``reserved`` bytes are kept for fault-class lines (``Event/isFaultClass``): a
/// routine line goes in only while the buffer has room below that share, a fault line while
/// it has room at all, even while routine lines are being lost (the lines lost before it are
/// reported just before it). The notice counts the lost fault lines apart (`faultsDropped`).
struct LineBuffer {
    /// The most bytes the buffer holds.
    let capacity: Int
    /// The bytes only fault-class lines may take: an eighth of ``capacity``.
    let reserved: Int
    fileprivate var bytes: [UInt8] = []
    private var start = 0
    /// Lines lost since the last in-band notice, and the fault-class ones among them.
    private(set) var unreported: UInt64 = 0
    private var unreportedFaults: UInt64 = 0
    private var lastLostSeq: UInt64 = 0
    /// Lines lost in all, and the fault-class ones among them.
    private(set) var lost: UInt64 = 0
    private(set) var lostFaults: UInt64 = 0
    /// True while lines are being lost (the buffer filled and the reader has not caught up).
    private(set) var isLosing = false

    /// Room left for a notice in front of a fault line: a `dropped` line is shorter.
    private static let noticeBound = 128

    init(capacity: Int) {
        self.capacity = capacity
        self.reserved = capacity / 8
    }

    /// Bytes waiting to be written.
    var pending: Int { bytes.count - start }

    /// True while the buffer loses every routine line it is given, and will until a write
    /// takes from it: it is losing, and too full to catch up.
    var isSaturated: Bool { isLosing && pending > capacity / 2 }

    /// Counts `count` routine lines, the last with `seq`, as lost, without their bytes: for a
    /// saturated buffer, whose lines need not be encoded.
    mutating func lose(_ count: UInt64, lastSeq seq: UInt64) {
        assert(isSaturated, "only a saturated buffer loses lines unseen")
        unreported &+= count
        lost &+= count
        lastLostSeq = seq
    }

    /// Appends `line` (one whole line with its newline) that carries `seq`, or loses it.
    mutating func append(_ line: UnsafeRawBufferPointer, seq: UInt64, isFault: Bool = false, encoder: inout LineEncoder) {
        if isLosing { catchUp(encoder: &encoder) }
        if isFault {
            if pending + line.count + (unreported > 0 ? Self.noticeBound : 0) <= capacity {
                if unreported > 0 { appendNotice(encoder: &encoder) }
                bytes.append(contentsOf: line)
                return
            }
        } else if !isLosing && pending + line.count <= capacity - reserved {
            bytes.append(contentsOf: line)
            return
        }
        isLosing = true
        unreported &+= 1
        lost &+= 1
        if isFault {
            unreportedFaults &+= 1
            lostFaults &+= 1
        }
        lastLostSeq = seq
    }

    /// Appends many lines at once: `chunk` holds them back to back, `lines` gives where each
    /// ends, its `seq` and whether it is a fault-class line; `faults` says how many are.
    ///
    /// A buffer that is losing lines (a stalled viewer) loses a chunk without fault lines by
    /// counting it: no work per line.
    mutating func append(chunk: [UInt8], lines: [LineEncoder.Mark], faults: Int, encoder: inout LineEncoder) {
        if isLosing { catchUp(encoder: &encoder) }
        if !isLosing && pending + chunk.count <= capacity - reserved {
            bytes.append(contentsOf: chunk)
            return
        }
        if isLosing, faults == 0, let last = lines.last {
            unreported &+= UInt64(lines.count)
            lost &+= UInt64(lines.count)
            lastLostSeq = last.seq
            return
        }
        chunk.withUnsafeBytes { raw in
            var from = 0
            for mark in lines {
                append(UnsafeRawBufferPointer(rebasing: raw[from..<mark.end]), seq: mark.seq, isFault: mark.isFault, encoder: &encoder)
                from = mark.end
            }
        }
    }

    /// Appends the in-band notice of the lost lines, and stops losing, once the reader has
    /// caught up.
    mutating func catchUp(encoder: inout LineEncoder) {
        guard isLosing, pending <= capacity / 2 else { return }
        if unreported > 0 { appendNotice(encoder: &encoder) }
        isLosing = false
    }

    private mutating func appendNotice(encoder: inout LineEncoder) {
        let notice = encoder.line(for: .init(.dropped(.init(count: unreported, faults: unreportedFaults))), seq: lastLostSeq)
        bytes.append(contentsOf: notice)
        unreported = 0
        unreportedFaults = 0
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
