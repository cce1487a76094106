import GroupEvents

/// Everything that can happen to the dashboard: the run loop turns reads, key presses, timers
/// and signals into messages and hands them to ``DashboardState/update(_:)``.
public enum DashboardMessage: Sendable {
    /// One decoded record of the stream: a header starts a new session (the tree is reset,
    /// view choices are kept), an event updates the model, a diagnostic counts a skipped line.
    case record(WireRecord)
    /// Several records at once. Records update the model but never rebuild the tree pane's
    /// rows: the next tick (sent before each draw) does, once.
    case records([WireRecord])
    case key(Key)
    /// Time passed: the viewer's monotonic clock, in nanoseconds. Send one before each draw;
    /// it runs live durations and moves ended tasks to history after their linger.
    case tick(viewerNanoseconds: UInt64)
    case resize(TerminalSize)
    case connection(ConnectionState)
    /// Where a replay is; in replay mode this is the dashboard's "now".
    case replayPosition(ReplayPosition)
    /// Keep or go back to a model along a replay (replay mode): see ``ReplayCheckpoint``.
    case replayCheckpoint(ReplayCheckpoint)
    /// The decoder's totals (a replay loader that does not forward diagnostics): its skipped
    /// lines are shown in the header.
    case decoderCounters(WireDecoder.Counters)
    /// A one-line message from the runner for the footer (for example "crash injection is not
    /// available yet"); cleared by the next key.
    case notice(String)
}
