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
        let epoch = MonotonicEpoch.nanosecondsSinceClockEpoch
        let now = SystemClock.nanoseconds()
        return MonotonicTime(nanoseconds: now >= epoch ? now - epoch : 0)
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
    /// The epoch as nanoseconds on ``SystemClock``, which counts from `ContinuousClock`'s own epoch.
    @usableFromInline package static let nanosecondsSinceClockEpoch: UInt64 = SystemClock.nanoseconds()

    /// The instant all timestamps of this process count from.
    public static let instant: ContinuousClock.Instant =
        ContinuousClock().systemEpoch.advanced(by: .nanoseconds(Int64(nanosecondsSinceClockEpoch)))

    /// Nanoseconds from the epoch to `now`, zero if `now` is earlier.
    @inlinable
    public static func nanoseconds(since now: ContinuousClock.Instant) -> UInt64 {
        let sinceClockEpoch = SystemClock.nanoseconds(since: ContinuousClock().systemEpoch, to: now)
        let epoch = nanosecondsSinceClockEpoch
        return sinceClockEpoch >= epoch ? sinceClockEpoch - epoch : 0
    }
}
