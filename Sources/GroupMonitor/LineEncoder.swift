import GroupEvents

/// The one place where the monitor turns events into wire lines (``WireEncoder``).
///
/// Everything else moves already-encoded bytes.
struct LineEncoder {
    /// Where one line of a chunk ends, its `seq`, and whether it is a fault-class line.
    struct Mark {
        var end: Int
        var seq: UInt64
        var isFault: Bool
    }

    private var encoder = WireEncoder()
    private var scratch: [UInt8] = []

    /// An encoder with no scratch storage, to swap with a working one without allocating.
    static var empty: LineEncoder { LineEncoder() }

    /// The header line.
    mutating func headerLine(_ header: WireHeader) -> [UInt8] {
        var line: [UInt8] = []
        encoder.encodeHeader(header, into: &line)
        return line
    }

    /// Appends the line of `event` with `seq` to `bytes`.
    mutating func append(_ event: Event, seq: UInt64, to bytes: inout [UInt8]) {
        encoder.encode(event, seq: seq, into: &bytes)
    }

    /// The line of `event` with `seq`, valid until the next call.
    mutating func line(for event: Event, seq: UInt64) -> [UInt8] {
        scratch.removeAll(keepingCapacity: true)
        encoder.encode(event, seq: seq, into: &scratch)
        return scratch
    }
}

extension LineEncoder {
    /// The single line a viewer gets when ``MonitorConfiguration/maxViewers`` are attached.
    ///
    /// It is not a header, so a reader stops at once; its `refused` field says why.
    static func refusalLine(maxViewers: Int) -> [UInt8] {
        Array("{\"refused\":\"too many viewers: \(maxViewers) are attached, the limit; try again later\"}\n".utf8)
    }
}
