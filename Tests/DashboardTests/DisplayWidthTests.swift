@testable import Dashboard
import Testing

/// Display widths: CJK and emoji take two columns, combining marks none, and the screen never
/// splits a wide character.
@Suite struct DisplayWidthTests {
    @Test(arguments: [
        ("abc", 3), ("", 0), ("中文", 4), ("日本語テキスト", 14), ("한국어", 6), ("ＡＢ", 4),
        ("😀", 2), ("👍🏽", 2), ("👨‍👩‍👧", 2), ("🇫🇷", 2), ("❤️", 2), ("1️⃣", 2),
        ("e\u{301}", 1), ("a\u{300}\u{301}\u{302}", 1), ("x\u{200B}y", 2), ("\u{FEFF}", 0),
        ("✓✗⧗⊘☠●○", 7), ("é", 1), ("Ω", 1),
    ])
    func widths(text: String, columns: Int) {
        #expect(DisplayWidth.of(text) == columns)
    }

    @Test func controlsTakeNoColumn() {
        #expect(DisplayWidth.of(Unicode.Scalar(0x1B)!) == 0)
        #expect(DisplayWidth.of(Unicode.Scalar(0x9B)!) == 0)
        #expect(DisplayWidth.of(Unicode.Scalar(0x7F)!) == 0)
    }
}

/// Formatting of numbers and durations in fixed columns.
@Suite struct FormatTests {
    @Test(arguments: [
        (UInt64(850), "850ns"), (12_000, "12µs"), (1_520_000, "1.52ms"), (12_467_280, "12.4ms"), (212_000_000, "212.0ms"),
        (1_250_000_000, "1.25s"), (42_100_000_000, "42.1s"), (125_000_000_000, "2m05s"), (3_720_000_000_000, "1h02m"),
    ])
    func durations(nanoseconds: UInt64, text: String) {
        #expect(Format.duration(nanoseconds) == text)
    }

    @Test(arguments: [(0, "0"), (999, "999"), (12_345, "12,345"), (123_456, "123k"), (1_234_567, "1.2M"), (-5, "-5")])
    func counts(value: Int, text: String) {
        #expect(Format.count(value) == text)
    }

    @Test func wrappingBreaksAtSpacesAndMarksTheCut() {
        #expect(Format.wrap("card declined: insufficient funds", width: 15, maxLines: 3) == ["card declined:", "insufficient", "funds"])
        #expect(Format.wrap("aaaa bbbb cccc dddd", width: 9, maxLines: 1) == ["aaaa bbbb…"])
        #expect(Format.wrap("short", width: 9, maxLines: 2) == ["short"])
        #expect(Format.wrap("中文中文中文", width: 5, maxLines: 2) == ["中文", "中文…"])
    }

    @Test func sparklineLevels() {
        #expect(SparklineView.bar(0, peak: 10) == " ")
        #expect(SparklineView.bar(1, peak: 100) == "▁")
        #expect(SparklineView.bar(10, peak: 10) == "█")
        #expect(SparklineView.bar(5, peak: 10) == "▄")
    }
}
