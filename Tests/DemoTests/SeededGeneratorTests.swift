import DemoWorkloads
import Testing

extension DemoTests {
    @Suite("SeededGenerator")
    struct SeededGeneratorTests {
        @Test func matchesTheSplitMix64ReferenceSequence() {
            // The first outputs of SplitMix64 seeded with 0, from the reference implementation.
            var generator = SeededGenerator(seed: 0)
            #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
            #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
            #expect(generator.next() == 0x06C4_5D18_8009_454F)
        }

        @Test func sameSeedGivesTheSameSequenceAndAnotherSeedAnother() {
            var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
            let first = (0..<100).map { _ in a.next() }
            #expect(first == (0..<100).map { _ in b.next() })
            #expect(first != (0..<100).map { _ in c.next() })
        }
    }
}
