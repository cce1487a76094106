internal import Glibc

/// The one platform call of this module: the clock every timestamp comes from.
///
/// It reads `ContinuousClock`'s clock, counted from that clock's `systemEpoch`, as plain
/// nanoseconds. On Linux that is `CLOCK_BOOTTIME`, read directly: `ContinuousClock.now` builds a
/// 128-bit `Duration` (two wide multiplications) that a child's events paid three times.
@usableFromInline
enum SystemClock {
    @usableFromInline
    static func nanoseconds() -> UInt64 {
        #if os(Linux)
        var now = timespec()
        // Fails only for an unknown clock or a bad pointer, neither of which can happen here.
        _ = clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(truncatingIfNeeded: now.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: now.tv_nsec)
        #else
        let clock = ContinuousClock()
        return nanoseconds(since: clock.systemEpoch, to: clock.now)
        #endif
    }

    /// Nanoseconds from `start` to `end`, zero if `end` is earlier.
    ///
    /// It makes one 128-by-64-bit division (compiled to `__udivti3`, which takes its single
    /// `div` path here): `Duration.components` did generic 128-bit arithmetic, about 20 ns more
    /// a timestamp.
    @inlinable
    static func nanoseconds(since start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> UInt64 {
        let attoseconds = (end - start).attoseconds
        if attoseconds <= 0 { return 0 }
        let high = UInt64(truncatingIfNeeded: attoseconds >> 64)
        let low = UInt64(truncatingIfNeeded: attoseconds)
        // The quotient fits in 64 bits while `high` is below the divisor (584 years).
        guard high < 1_000_000_000 else { return .max }
        return UInt64(1_000_000_000).dividingFullWidth((high, low)).quotient
    }
}
