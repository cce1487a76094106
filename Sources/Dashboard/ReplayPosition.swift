import GroupEvents

/// Where a replay is, as the replay runner reports it after every step.
public struct ReplayPosition: Hashable, Sendable {
    /// The stream time the replay has reached: the dashboard's "now".
    public var time: MonotonicTime
    /// The stream time of the recording's first and last events.
    public var start: MonotonicTime
    public var end: MonotonicTime
    /// The playback speed, 0.25 to 64.
    public var speed: Double
    public var isPlaying: Bool

    public init(time: MonotonicTime, start: MonotonicTime, end: MonotonicTime, speed: Double = 1, isPlaying: Bool = true) {
        self.time = time
        self.start = start
        self.end = end
        self.speed = speed
        self.isPlaying = isPlaying
    }

    /// Stream time since the recording's start.
    public var elapsed: MonotonicTime { MonotonicTime(nanoseconds: time.nanoseconds(since: start)) }
    /// The recording's length in stream time.
    public var length: MonotonicTime { MonotonicTime(nanoseconds: end.nanoseconds(since: start)) }

    /// How far along, from 0 to 1.
    public var fraction: Double {
        let total = end.nanoseconds(since: start)
        guard total > 0 else { return 1 }
        return min(1, Double(time.nanoseconds(since: start)) / Double(total))
    }
}
