/// Makes untrusted text from an event stream safe to show on a terminal or in a plain-text file.
///
/// Every string in a stream comes from the service and is untrusted: a task name or an error
/// message may hold an escape sequence that retitles the terminal (`ESC ] 0 ; … BEL`), moves
/// the cursor, or a bidi override that makes text read differently than it is. ``sanitize(_:)``
/// replaces each such code point with a visible escape, `\u{1B}`, so nothing reaches the
/// output that a terminal would act on, and what was there can still be seen:
///
/// - C0 controls U+0000–U+001F (newline and tab included: one event stays one line),
/// - DEL U+007F and the C1 controls U+0080–U+009F (U+009B alone starts a CSI sequence),
/// - the bidi controls U+061C, U+200E, U+200F, U+202A–U+202E and U+2066–U+2069,
/// - the line and paragraph separators U+2028 and U+2029, which some terminals break lines on.
///
/// Pure and allocation-free when there is nothing to replace, which is the usual case.
public enum TextSanitizer {
    /// `text` with every control, escape and bidi code point replaced by `\u{XX}`.
    public static func sanitize(_ text: String) -> String {
        // Most names and paths are printable ASCII: their bytes are checked faster than scalars.
        var copy = text
        if copy.withUTF8({ bytes in bytes.allSatisfy { $0 &- 0x20 < 0x5F } }) { return text }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = String()
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result += "\\u{"
                result += String(scalar.value, radix: 16, uppercase: true)
                result += "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether `scalar` is one that ``sanitize(_:)`` replaces.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029: true
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
