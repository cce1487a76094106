@testable import Dashboard
import Testing
import TestSupport

/// The sites view's tie-break: site texts in the order of their UTF-8 bytes, eight at a time.
@Suite struct SiteOrderTests {
    /// Against the bytes compared one by one, over texts that share long prefixes, differ in
    /// the last byte of a word or past it, are prefixes of each other, and hold non-ASCII.
    @Test func textsSortAsTheirBytesDo() {
        var random = SplitMix64(seed: 11)
        let pieces = ["Service/", "Handler", "Checkout", "é", "Z", "a", "Ω", "/", "1", "12", "Sources/Health/"]
        let texts = (0..<400).map { _ in
            (0..<(1 + random.below(5))).map { _ in pieces[random.below(pieces.count)] }.joined() + ":\(random.below(20))"
        }
        for a in texts.prefix(120) {
            for b in texts {
                #expect(SiteColumn.precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a) against \(b)")
            }
        }
    }
}
