import GroupEvents

/// Per-second counts of spawns, ok ends, faults and events over the last minute of stream
/// time: the sparkline's data and the header's events/s.
///
/// A ring of 60 one-second buckets; a bucket is zeroed when time moves past it, so an idle
/// stream decays to zero. Events older than the window (a late viewer's snapshot) are not counted.
public struct RateSeries: Hashable, Sendable {
    public static let seconds = 60

    public struct Bucket: Hashable, Sendable {
        public var spawns = 0
        public var oks = 0
        public var faults = 0
        public var events = 0
    }

    private var buckets = Array(repeating: Bucket(), count: RateSeries.seconds)
    /// The stream second of the newest bucket; nil before the first event.
    public private(set) var currentSecond: UInt64?

    public init() {}

    /// Moves the window so that it ends at the second of `time`.
    public mutating func advance(to time: MonotonicTime) {
        let second = time.rawValue / 1_000_000_000
        guard let current = currentSecond else {
            currentSecond = second
            return
        }
        guard second > current else { return }
        let steps = min(second - current, UInt64(Self.seconds))
        for step in 1...steps {
            buckets[Int((current + step) % UInt64(Self.seconds))] = Bucket()
        }
        currentSecond = second
    }

    /// Counts into the bucket of `time`'s second, moving the window forward if needed.
    public mutating func record(at time: MonotonicTime, _ change: (inout Bucket) -> Void) {
        advance(to: time)
        let second = time.rawValue / 1_000_000_000
        guard let current = currentSecond, second + UInt64(Self.seconds) > current else { return }
        change(&buckets[Int(second % UInt64(Self.seconds))])
    }

    /// The buckets from oldest to newest; missing seconds are zero.
    public var window: [Bucket] {
        guard let current = currentSecond else { return Array(repeating: Bucket(), count: Self.seconds) }
        return (0..<Self.seconds).map { offset in
            // Seconds before the stream's second 0 do not exist: zero, not a wrapped-around bucket.
            let second = Int64(current) - Int64(Self.seconds - 1) + Int64(offset)
            return second < 0 ? Bucket() : buckets[Int(second % Int64(Self.seconds))]
        }
    }

    /// Events in the last complete second before `now`.
    public func eventsPerSecond(at now: MonotonicTime) -> Int {
        guard let current = currentSecond else { return 0 }
        let nowSecond = now.rawValue / 1_000_000_000
        guard nowSecond >= 1, nowSecond - 1 <= current, nowSecond - 1 + UInt64(Self.seconds) > current else { return 0 }
        return buckets[Int((nowSecond - 1) % UInt64(Self.seconds))].events
    }
}
