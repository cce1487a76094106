import GroupEvents
import Testing

/// TextSanitizer: nothing a terminal acts on survives, everything else is left as it is.
@Suite struct TextSanitizerTests {
    @Test func plainTextIsReturnedUnchanged() {
        for text in ["checkout-request", "Checkout.PaymentError", "naïve café 😀 日本語", "", #"C:\Users\u1 \d+ \u"#] {
            #expect(TextSanitizer.sanitize(text) == text)
        }
    }

    /// A name that spells an escape never reads like a sanitized control character.
    @Test func textThatSpellsAnEscapeIsToldApartFromOne() {
        let spelled = TextSanitizer.sanitize(#"a\u{1B}b"#)
        #expect(spelled == #"a\u{5C}u{1B}b"#)
        #expect(spelled != TextSanitizer.sanitize("a\u{1B}b"))
        #expect(TextSanitizer.sanitize(#"\\u{7}"#) == #"\\u{5C}u{7}"#)
        #expect(TextSanitizer.sanitize(#"\u{"#) == #"\u{5C}u{"#)
    }

    @Test func escapeSequencesBecomeVisibleEscapes() {
        #expect(TextSanitizer.sanitize("\u{1B}[31mred\u{1B}[0m") == "\\u{1B}[31mred\\u{1B}[0m")
        #expect(TextSanitizer.sanitize("\u{1B}]0;pwned\u{07}") == "\\u{1B}]0;pwned\\u{7}")
        #expect(TextSanitizer.sanitize("line1\nline2\ttab\r") == "line1\\u{A}line2\\u{9}tab\\u{D}")
    }

    @Test func everyC0C1AndDelCodePointIsEscaped() {
        let controls = (0x00...0x1F).map { $0 } + (0x7F...0x9F).map { $0 }
        for value in controls {
            let scalar = Unicode.Scalar(UInt32(value))!
            let sanitized = TextSanitizer.sanitize("a" + String(Character(scalar)) + "b")
            #expect(sanitized == "a\\u{\(String(value, radix: 16, uppercase: true))}b")
            #expect(!sanitized.unicodeScalars.contains(scalar))
        }
    }

    @Test func bidiControlsAndLineSeparatorsAreEscaped() {
        let values: [UInt32] = [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                                0x2066, 0x2067, 0x2068, 0x2069]
        for value in values {
            let scalar = Unicode.Scalar(value)!
            let sanitized = TextSanitizer.sanitize("x\(Character(scalar))y")
            #expect(sanitized == "x\\u{\(String(value, radix: 16, uppercase: true))}y")
        }
        // Neighbours of the bidi ranges are ordinary text.
        for value: UInt32 in [0x061B, 0x200D, 0x2027, 0x202F, 0x2065, 0x206A] {
            let text = "x\(Character(Unicode.Scalar(value)!))y"
            #expect(TextSanitizer.sanitize(text) == text)
        }
    }

    @Test func sanitizedTextHasNoCodePointThatNeedsEscaping() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var text = ""
            for _ in 0..<40 {
                let value = [UInt32.random(in: 0...0xFF, using: &generator), UInt32.random(in: 0x2000...0x2070, using: &generator),
                             0x061C, 0x1B][Int.random(in: 0..<4, using: &generator)]
                if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
            }
            let sanitized = TextSanitizer.sanitize(text)
            #expect(!sanitized.unicodeScalars.contains(where: TextSanitizer.needsEscape), "\(Array(sanitized.unicodeScalars))")
        }
    }
}
