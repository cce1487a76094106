@testable import SafeGroupCLI
import Testing

/// `list --json` writes its strings with the wire's escaper, then escapes for a terminal.
struct JSONTextTests {
    @Test func quotesBackslashesAndControlsAreEscapedAsTheWireDoes() {
        #expect(JSONText.quoted("plain") == #""plain""#)
        #expect(JSONText.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONText.quoted("line\nnext\ttab\r\u{1B}") == #""line\nnext\ttab\r\u001b""#)
        #expect(JSONText.quoted("") == #""""#)
    }

    @Test func whatATerminalActsOnIsEscapedToo() {
        #expect(JSONText.quoted("del\u{7F} csi\u{9B} rlo\u{202E} ls\u{2028}") == #""del\u007f csi\u009b rlo\u202e ls\u2028""#)
        #expect(JSONText.quoted("café 😀") == "\"café 😀\"")
    }
}
