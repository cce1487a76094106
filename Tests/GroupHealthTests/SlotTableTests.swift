import GroupEvents
@testable import GroupHealth
import Testing
import TestSupport

/// The table that finds a live child's, group's or site's slot by its 64-bit key.
@Suite struct SlotTableTests {
    /// Random inserts and removes against a `Dictionary`: every key stays findable through the
    /// backward shifts of removal and the growth, and a removed key is gone.
    @Test(arguments: [1 as UInt64, 2, 3])
    func agreesWithADictionaryThroughInsertsAndRemoves(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var table = SlotTable()
        var reference: [UInt64: Int32] = [:]
        for step in 0..<50_000 {
            // Keys from a small range, so removes hit and runs of probes form.
            let key = UInt64(random.below(4_096))
            if reference[key] == nil, random.below(3) != 0 {
                table.insert(key, slot: Int32(step % 1_000_000))
                reference[key] = Int32(step % 1_000_000)
            } else {
                #expect(table.remove(key) == reference.removeValue(forKey: key))
            }
            if step % 997 == 0 {
                for probe in 0..<4_096 as Range<UInt64> where table[probe] != reference[probe] {
                    Issue.record("key \(probe): table \(String(describing: table[probe])), dictionary \(String(describing: reference[probe]))")
                    return
                }
            }
        }
        #expect(table.count == reference.count)
    }

    /// Sequential ids (as tasks get them) fill the table without losing any, and every one
    /// removed leaves it empty.
    @Test func sequentialIdsComeAndGo() {
        var table = SlotTable()
        for id in 1...100_000 as ClosedRange<UInt64> { table.insert(id, slot: Int32(id)) }
        #expect(table.count == 100_000)
        #expect((1...100_000 as ClosedRange<UInt64>).allSatisfy { table[$0] == Int32($0) })
        for id in 1...100_000 as ClosedRange<UInt64> { #expect(table.remove(id) == Int32(id)) }
        #expect(table.count == 0)
        #expect(table[5] == nil)
    }

    /// A site's fingerprint depends on its file and line (not on how the file is stored), and
    /// on the seed.
    @Test func fingerprintsFollowFileAndLine() {
        let literal = SourceSite(fileID: "Checkout/Handler.swift", line: 57)
        let decoded = SourceSite(file: "Checkout/Handler.swift", line: 57)
        #expect(literal.fingerprint(seed: 9) == decoded.fingerprint(seed: 9))
        #expect(decoded.fingerprint(seed: 9) != SourceSite(file: "Checkout/Handler.swift", line: 58).fingerprint(seed: 9))
        #expect(decoded.fingerprint(seed: 9) != SourceSite(file: "Checkout/Handlers.swift", line: 57).fingerprint(seed: 9))
        #expect(decoded.fingerprint(seed: 9) != decoded.fingerprint(seed: 10))
        // Files that differ past the first eight bytes, or only in their length.
        #expect(SourceSite(file: "Sources/A.swift", line: 1).fingerprint(seed: 0) != SourceSite(file: "Sources/B.swift", line: 1).fingerprint(seed: 0))
        #expect(SourceSite(file: "ab", line: 1).fingerprint(seed: 0) != SourceSite(file: "ab\0", line: 1).fingerprint(seed: 0))
    }
}
