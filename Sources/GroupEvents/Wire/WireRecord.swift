/// One item read from an event stream by ``WireDecoder``.
public enum WireRecord: Hashable, Sendable {
    /// A header line. A stream has one at its start; a reader may meet another one later if
    /// streams were concatenated, and then `seq` starts over.
    case header(WireHeader)
    /// An event line: the event and its per-stream sequence number.
    case event(seq: UInt64, Event)
    /// A line the decoder skipped, or something it noticed about one.
    case diagnostic(WireDiagnostic)
}
