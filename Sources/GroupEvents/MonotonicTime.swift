/// A point on the process's monotonic clock, in nanoseconds since the process's event epoch.
///
/// The epoch is the first time anything in the process asked for the time. The wire header
/// gives the wall-clock time of the epoch, so a viewer can turn any timestamp into a date.
/// The clock is `ContinuousClock` (it keeps counting while the machine sleeps).
public struct MonotonicTime: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the epoch.
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(nanoseconds: UInt64) { self.rawValue = nanoseconds }

    /// The current time.
    @inlinable
    public static func now() -> MonotonicTime {
        // Read the epoch first: the first read sets it, and it must not be later than `now`.
        let epoch = MonotonicEpoch.instant
        return MonotonicTime(nanoseconds: MonotonicEpoch.nanoseconds(from: epoch, to: ContinuousClock.now))
    }

    /// The time of an instant on `ContinuousClock` (zero for instants before the epoch).
    @inlinable
    public init(_ instant: ContinuousClock.Instant) {
        self.rawValue = MonotonicEpoch.nanoseconds(since: instant)
    }

    /// The instant on `ContinuousClock` this time stands for.
    public var instant: ContinuousClock.Instant { MonotonicEpoch.instant.advanced(by: .nanoseconds(Int64(rawValue))) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Nanoseconds from `earlier` to `self`, zero when `earlier` is later.
    public func nanoseconds(since earlier: MonotonicTime) -> UInt64 {
        rawValue >= earlier.rawValue ? rawValue - earlier.rawValue : 0
    }

    public var description: String { "\(rawValue)ns" }
}

/// The process-wide origin of ``MonotonicTime``.
public enum MonotonicEpoch {
    /// The instant all timestamps of this process count from.
    public static let instant: ContinuousClock.Instant = ContinuousClock.now

    /// Nanoseconds from the epoch to `now`, zero if `now` is earlier.
    @inlinable
    public static func nanoseconds(since now: ContinuousClock.Instant) -> UInt64 {
        nanoseconds(from: instant, to: now)
    }

    /// Every event's timestamp goes through here, so it divides with one machine instruction:
    /// `Duration.components` divides 128 bits in software, which cost a child's events about
    /// 20 ns a timestamp.
    @inlinable
    static func nanoseconds(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> UInt64 {
        let attoseconds = (end - start).attoseconds
        if attoseconds <= 0 { return 0 }
        let high = UInt64(truncatingIfNeeded: attoseconds >> 64)
        let low = UInt64(truncatingIfNeeded: attoseconds)
        // The quotient fits in 64 bits while `high` is below the divisor (584 years).
        guard high < 1_000_000_000 else { return .max }
        return UInt64(1_000_000_000).dividingFullWidth((high, low)).quotient
    }
}
