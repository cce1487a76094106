import Histogram

/// Durations over a sliding window, in a real histogram (HdrHistogram, two significant
/// digits, microseconds): the window is two halves, and percentiles cover the half being
/// filled and the one before it.
///
/// A value is recorded once, in `current` (the model gathers values first, and records a
/// site's together: ``GatheredValues``); when a half ends, `current` becomes `previous` and the
/// old `previous` is dropped. Percentiles read both halves' counts. The arrays grow with the
/// largest value (auto-resize), never shrinking: durations up to a second take about 7 KiB
/// each, up to an hour about 13 KiB.
struct SlidingHistogram: Sendable {
    /// Made on the first value: a site whose children never wait keeps no wait histograms.
    private var previous: Histogram<UInt32>?
    private var current: Histogram<UInt32>?
    /// How many values of each half fall in each power of two (value 2ᵏ…2ᵏ⁺¹−1 µs in slot k):
    /// a percentile finds its power of two here, then reads the histogram's counts in it alone.
    private var previousOctaves = InlineArray<32, UInt32>(repeating: 0)
    private var currentOctaves = InlineArray<32, UInt32>(repeating: 0)
    /// The half (stream time / half length) `current` belongs to.
    private var half: UInt64 = 0
    /// Room for a second from the start (1,792 counts, 7 KiB), growing for longer values: a
    /// histogram that starts small resizes at each new power of two (a copy each, and the
    /// package's resize is not specialized for us), which cost more than the whole record.
    /// Copied from one template: the package's init fills its array one generic element at a
    /// time, while the first record into a copy duplicates the shared array with one memcpy.
    private static let template: Histogram<UInt32> = {
        var histogram = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 1 << 20, numberOfSignificantValueDigits: .two)
        histogram.autoResize = true
        return histogram
    }()

    /// The largest duration recorded, in microseconds: longer ones count as this (an hour).
    static let highest: UInt64 = 3_600_000_000

    /// Moves the window to the half of `now`, dropping what is older than the half before;
    /// returns whether the window changed.
    ///
    /// A half ends: `current` becomes `previous`, and the next half starts with no histogram
    /// (made from the template at its first value). Nothing is zeroed: the package's `reset`
    /// zeroes one generic element at a time, and a thousand sites rotating at once made a
    /// frame of tens of milliseconds; freeing the old arrays costs next to nothing.
    @discardableResult
    mutating func advance(toHalf now: UInt64) -> Bool {
        guard now > half else { return false }
        defer { half = now }
        let changed = Self.total(previous) > 0 || (now > half + 1 && Self.total(current) > 0)
        previous = now == half + 1 ? current.take() : nil
        previousOctaves = now == half + 1 ? currentOctaves : InlineArray(repeating: 0)
        current = nil
        currentOctaves = InlineArray(repeating: 0)
        return changed
    }

    private static func total(_ histogram: Histogram<UInt32>?) -> UInt64 { histogram?.totalCount ?? 0 }

    /// A duration in nanoseconds as this histogram records it: microseconds, at least 1, at
    /// most ``highest``.
    static func micros(_ nanoseconds: UInt64) -> UInt32 {
        UInt32(min(highest, max(1, nanoseconds / 1_000)))
    }

    /// Records `values` (microseconds, see ``micros(_:)``), all of half `valuesHalf`: a newer
    /// half moves the window first, and values of a half older than the window are dropped (a
    /// late viewer's snapshot).
    mutating func record(_ values: UnsafeBufferPointer<UInt32>, inHalf valuesHalf: UInt64) {
        guard !values.isEmpty else { return }  // no histogram made for nothing
        advance(toHalf: valuesHalf)
        if valuesHalf == half {
            Self.record(values, into: &current, octaves: &currentOctaves)
        } else if valuesHalf + 1 == half {
            Self.record(values, into: &previous, octaves: &previousOctaves)
        }
    }

    /// Records values in a half's histogram (made from the template if it has none yet) and
    /// its power-of-two counts. The histogram is moved out and back
    /// (`take`), so its array stays uniquely referenced and is written in place.
    private static func record(_ values: UnsafeBufferPointer<UInt32>, into half: inout Histogram<UInt32>?,
                               octaves: inout InlineArray<32, UInt32>) {
        var histogram = half.take() ?? template
        for value in values {
            histogram.record(UInt64(value))
            octaves[octave(of: value)] &+= 1
        }
        half = histogram
    }

    /// The power of two of a value of at least 1.
    @inline(__always)
    private static func octave(of micros: UInt32) -> Int { 31 - micros.leadingZeroBitCount }

    /// p50, p90, p99 and max of the window, in nanoseconds (zeros when it is empty): each as
    /// `valueAtPercentile` finds it (the highest value equivalent to the bucket that reaches
    /// the rank, within the recorded range), over both halves.
    ///
    /// The package's own walks (`recordedValues()`, `valueAtPercentile`) visit every bucket
    /// below the rank, 10–30 ns each: 20–30 µs a site whose durations reach seconds. Here the
    /// power-of-two counts find the rank's power of two, and only its buckets (at most 128 at
    /// two digits) are read, with `countForValue`: a few microseconds a site.
    func percentiles() -> Percentiles {
        let total = Self.total(previous) + Self.total(current)
        guard total > 0 else { return Percentiles() }
        let ranks = [50.0, 90, 99].map { Swift.max(1, UInt64((($0.nextDown) * Double(total) / 100).rounded(.up))) }
        let halves = [previous, current].compactMap { $0 }.filter { $0.totalCount > 0 }
        let low = halves.map(\.min).min()!, high = halves.map(\.maxRecorded).max()!
        let layout = halves[0]
        var found: [UInt64] = []
        found.reserveCapacity(3)
        var below: UInt64 = 0  // values in the powers of two passed
        for octave in 0..<32 where found.count < 3 {
            let inOctave = UInt64(previousOctaves[octave]) + UInt64(currentOctaves[octave])
            guard inOctave > 0 else { continue }
            guard below + inOctave >= ranks[found.count] else {
                below += inOctave
                continue
            }
            var value = UInt64(1) << octave
            let end = value << 1
            var cumulative = below
            while value < end, found.count < 3 {
                for histogram in halves where value <= histogram.maxRecorded { cumulative += UInt64(histogram.countForValue(value)) }
                while found.count < 3, cumulative >= ranks[found.count] {
                    found.append(Swift.max(Swift.min(layout.highestEquivalentForValue(value), high), low))
                }
                value = layout.nextNonEquivalentForValue(value)
            }
            below += inOctave
        }
        while found.count < 3 { found.append(high) }
        return Percentiles(count: Int(total), p50: found[0] * 1_000, p90: found[1] * 1_000, p99: found[2] * 1_000, max: high * 1_000)
    }

    /// The bytes the two histograms hold.
    var footprint: Int { (previous?.estimatedFootprintInBytes ?? 0) + (current?.estimatedFootprintInBytes ?? 0) }
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
