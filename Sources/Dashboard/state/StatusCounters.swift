/// The header's counters.
///
/// `running` and `waiting` count tracked live tasks; the ended counts count every `task.ended`
/// of the session, tracked or not (a viewer that attached late counts from its attach).
public struct StatusCounters: Hashable, Sendable {
    public var running = 0
    public var waiting = 0
    public var ok = 0
    public var failed = 0
    public var timedOut = 0
    public var cancelled = 0
    public var crashed = 0
    /// Every event of the session, heartbeats and drops included.
    public var events = 0

    public init() {}
}
