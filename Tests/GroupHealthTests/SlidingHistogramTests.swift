@testable import GroupHealth
import Testing
import TestSupport

/// The window's percentiles against the same values sorted, bucket for bucket: each is the
/// highest value of HdrHistogram's bucket (two digits) that holds the value of its rank,
/// within the recorded range.
@Suite struct SlidingHistogramTests {
    /// The highest value in the bucket of `micros` at two significant digits: values below 256
    /// alone, then buckets of 2^(k-7) in each power of two 2^k.
    static func highestEquivalent(_ micros: UInt64) -> UInt64 {
        guard micros >= 256 else { return micros }
        let width = UInt64(1) << (63 - micros.leadingZeroBitCount - 7)
        return (micros & ~(width - 1)) + width - 1
    }

    static func expected(_ values: [UInt32]) -> [UInt64] {
        let sorted = values.map(UInt64.init).sorted()
        return [50.0, 90, 99].map { p in
            let rank = max(1, Int(((p.nextDown) * Double(sorted.count) / 100).rounded(.up)))
            return min(max(highestEquivalent(sorted[rank - 1]), sorted.first!), sorted.last!)
        }
    }

    @Test(arguments: [
        "upper half of a power of two", "lower half", "six decades", "one value", "small values", "two halves apart",
    ])
    func percentilesAreTheBucketsOfTheSortedRanks(shape: String) {
        var random = SplitMix64(seed: UInt64(shape.utf8.count))
        for round in 0..<20 {
            let count = 1 + random.below(round < 10 ? 50 : 3_000)
            let values: [UInt32] = (0..<count).map { _ in
                switch shape {
                case "upper half of a power of two": UInt32(3_000 + random.below(1_096))  // 2^11 ... 2^12: its top
                case "lower half": UInt32(2_048 + random.below(300))
                case "six decades": UInt32(1) << UInt32(random.below(30)) | UInt32(random.below(1 << 10))
                case "one value": 77_777
                case "small values": UInt32(1 + random.below(255))
                default: random.below(10) < 9 ? UInt32(1 + random.below(100)) : UInt32(1_000_000 + random.below(1_000))
                }
            }
            var histogram = SlidingHistogram()
            // Split between the window's two halves.
            let split = random.below(count + 1)
            values[..<split].withUnsafeBufferPointer { histogram.record($0, inHalf: 4) }
            values[split...].withUnsafeBufferPointer { histogram.record($0, inHalf: 5) }
            let got = histogram.percentiles()
            let want = Self.expected(values)
            #expect(got.count == count)
            #expect([got.p50, got.p90, got.p99] == want.map { $0 * 1_000 }, "\(shape), round \(round), \(count) values")
            #expect(got.max == UInt64(values.max()!) * 1_000)
        }
    }
}
