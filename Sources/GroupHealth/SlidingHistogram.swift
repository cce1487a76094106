import Histogram

/// Durations over a sliding window, in a real histogram (HdrHistogram, two significant
/// digits, microseconds): the window is two halves, and percentiles cover the half being
/// filled and the one before it.
///
/// Two histograms, not three: `window` holds both halves (every value is recorded in it and in
/// `current`), so when a half ends, the new window is exactly the half that was being filled.
/// Nothing is ever subtracted. The arrays grow with the largest value (auto-resize): durations
/// up to a second take about 7 KiB each, up to an hour about 13 KiB.
struct SlidingHistogram: Sendable {
    private var window = Self.empty()
    private var current = Self.empty()
    /// The half (stream time / half length) `current` belongs to.
    private var half: UInt64 = 0

    /// Room for a second from the start (1,792 counts, 7 KiB), growing for longer values: an
    /// auto-resizing histogram that starts at 2 µs resized a dozen times per window.
    private static func empty() -> Histogram<UInt32> {
        var histogram = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 1 << 20, numberOfSignificantValueDigits: .two)
        histogram.autoResize = true
        return histogram
    }

    /// The largest duration recorded, in microseconds: longer ones count as this (an hour).
    static let highest: UInt64 = 3_600_000_000

    /// Moves the window to the half of `now`, dropping what is older than the half before;
    /// returns whether the window changed.
    @discardableResult
    mutating func advance(toHalf now: UInt64) -> Bool {
        guard now > half else { return false }
        defer { half = now }
        let changed = window.totalCount > 0
        // The arrays are reused, not made anew: a reset zeroes the counts in place.
        if now == half + 1 {
            swap(&window, &current)
        }
        // What `window` held before the swap, or both halves after a gap, is old.
        if window.totalCount > 0, now != half + 1 { window.reset() }
        if current.totalCount > 0 { current.reset() }
        return changed
    }

    /// Records a duration in nanoseconds that ended in half `at`.
    mutating func record(nanoseconds: UInt64, at halfNumber: UInt64) {
        advance(toHalf: halfNumber)
        let micros = min(Self.highest, max(1, nanoseconds / 1_000))
        window.record(micros)
        if halfNumber == half { current.record(micros) }
    }

    /// How many durations the window holds.
    var count: UInt64 { window.totalCount }

    /// p50, p90, p99 and max of the window, in nanoseconds (zeros when it is empty): one pass
    /// over the recorded values, as `valueAtPercentile` would find each (the highest value
    /// equivalent to the bucket that reaches the rank, within the recorded range).
    var percentiles: Percentiles {
        let total = window.totalCount
        guard total > 0 else { return Percentiles() }
        let ranks = [50.0, 90, 99].map { Swift.max(1, UInt64((($0.nextDown) * Double(total) / 100).rounded(.up))) }
        var found: [UInt64] = []
        found.reserveCapacity(3)
        let low = window.min, high = window.maxRecorded
        for step in window.recordedValues() {
            while found.count < 3, step.totalCountToThisValue >= ranks[found.count] {
                found.append(Swift.max(Swift.min(step.value, high), low))
            }
            if found.count == 3 { break }
        }
        while found.count < 3 { found.append(high) }
        return Percentiles(count: Int(total), p50: found[0] * 1_000, p90: found[1] * 1_000, p99: found[2] * 1_000, max: high * 1_000)
    }

    /// The bytes the two histograms hold.
    var footprint: Int { window.estimatedFootprintInBytes + current.estimatedFootprintInBytes }
}

/// Duration percentiles of a site's window, in nanoseconds. HdrHistogram at two significant
/// digits: each is within 1% of the exact value (rounded to a microsecond).
public struct Percentiles: Hashable, Sendable {
    public var count = 0
    public var p50: UInt64 = 0
    public var p90: UInt64 = 0
    public var p99: UInt64 = 0
    public var max: UInt64 = 0
}
