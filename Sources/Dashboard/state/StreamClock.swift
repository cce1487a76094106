import GroupEvents

/// The dashboard's "now", in the producer's stream time.
///
/// Events carry the producer's monotonic time; the viewer's own clock is unrelated. So "now"
/// is the newest event time plus the viewer time elapsed since that event arrived (ticks
/// carry the viewer time), which keeps live durations moving between events. Heartbeats
/// arrive every second, so the estimate never drifts far. A replay sets "now" outright, and
/// a lost connection stops the clock at the last event.
public struct StreamClock: Hashable, Sendable {
    /// The newest event time seen.
    public private(set) var latestEvent = MonotonicTime(nanoseconds: 0)
    /// The viewer time at which `latestEvent` arrived.
    private var anchorViewer: UInt64?
    /// The viewer time of the last tick.
    private var viewerNow: UInt64?
    /// Set by a replay: the replay's position is "now".
    var replayTime: MonotonicTime?
    /// False while the source is not delivering (disconnected, ended): the clock stands still.
    var isRunning = true

    init() {}

    mutating func observe(_ time: MonotonicTime) {
        if time > latestEvent {
            latestEvent = time
            anchorViewer = viewerNow
        }
    }

    /// A new session (a header): its timestamps count from its own epoch, so forget the
    /// newest event time, but keep the viewer's clock.
    mutating func startSession() {
        latestEvent = MonotonicTime(nanoseconds: 0)
        anchorViewer = viewerNow
    }

    mutating func tick(viewerNanoseconds: UInt64) {
        if anchorViewer == nil { anchorViewer = viewerNanoseconds }
        viewerNow = max(viewerNow ?? 0, viewerNanoseconds)
    }

    /// The current stream time.
    public var now: MonotonicTime {
        if let replayTime { return replayTime }
        guard isRunning, let viewerNow, let anchorViewer, viewerNow > anchorViewer else { return latestEvent }
        return MonotonicTime(nanoseconds: latestEvent.rawValue &+ (viewerNow - anchorViewer))
    }
}
