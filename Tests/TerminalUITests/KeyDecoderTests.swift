import CNcurses
import Dashboard
@testable import TerminalUI
import Testing

/// What `get_wch` returns becomes a key: curses' function keys by code, characters by code point.
struct KeyDecoderTests {
    @Test func functionKeysAreDecodedByTheirCursesCode() {
        let cases: [(Int32, Key)] = [
            (cn_key_up(), .up), (cn_key_down(), .down), (cn_key_left(), .left), (cn_key_right(), .right),
            (cn_key_home(), .home), (cn_key_end(), .end), (cn_key_ppage(), .pageUp), (cn_key_npage(), .pageDown),
            (cn_key_enter(), .enter), (cn_key_backspace(), .backspace), (cn_key_btab(), .backTab),
        ]
        for (code, key) in cases { #expect(KeyDecoder.functionKey(code) == key) }
    }

    @Test func anUnknownFunctionKeyIsDropped() {
        #expect(KeyDecoder.functionKey(0) == nil)
    }

    @Test func controlsWithAMeaningAreKeysAndTheOthersAreDropped() {
        #expect(KeyDecoder.character(0x09) == .tab)
        #expect(KeyDecoder.character(0x0A) == .enter)
        #expect(KeyDecoder.character(0x0D) == .enter)
        #expect(KeyDecoder.character(0x1B) == .escape)
        #expect(KeyDecoder.character(0x08) == .backspace)
        #expect(KeyDecoder.character(0x7F) == .backspace)
        // Other C0 controls and every C1 control (0x9B alone starts a CSI sequence).
        #expect(KeyDecoder.character(0x00) == nil)
        #expect(KeyDecoder.character(0x03) == nil)
        #expect(KeyDecoder.character(0x9B) == nil)
    }

    @Test func printableCodePointsAreCharacters() {
        #expect(KeyDecoder.character(UInt32(UInt8(ascii: "q"))) == .character("q"))
        #expect(KeyDecoder.character(0xE9) == .character("é"))
        #expect(KeyDecoder.character(0x1F600) == .character("😀"))
    }

    @Test func aSurrogateOrOutOfRangeValueIsDropped() {
        #expect(KeyDecoder.character(0xD800) == nil)
        #expect(KeyDecoder.character(0x110000) == nil)
    }
}
