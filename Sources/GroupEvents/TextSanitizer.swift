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
/// So that an escape always means a replaced code point, a backslash that starts the text
/// `\u{` in the input is itself written `\u{5C}`: a name spelled `\u{1B}` reads `\u{5C}u{1B}`,
/// never like a sanitized ESC. Other backslashes (a Windows path, a regex) stay as they are.
/// Sanitize a string once: a second pass escapes the first one's escapes.
///
/// Pure and allocation-free when there is nothing to replace, which is the usual case.
public enum TextSanitizer {
    /// `text` with every control, escape and bidi code point replaced by `\u{XX}`.
    public static func sanitize(_ text: String) -> String {
        // Most names and paths are printable ASCII without a backslash: their bytes are checked
        // faster than scalars.
        var copy = text
        if copy.withUTF8({ bytes in bytes.allSatisfy { $0 &- 0x20 < 0x5F && $0 != 0x5C } }) { return text }
        let scalars = text.unicodeScalars
        func escapes(_ index: String.UnicodeScalarView.Index) -> Bool {
            let scalar = scalars[index]
            if needsEscape(scalar) { return true }
            guard scalar == "\\" else { return false }
            let u = scalars.index(after: index)
            guard u < scalars.endIndex, scalars[u] == "u" else { return false }
            let brace = scalars.index(after: u)
            return brace < scalars.endIndex && scalars[brace] == "{"
        }
        guard scalars.indices.contains(where: escapes) else { return text }
        var result = String()
        result.reserveCapacity(text.utf8.count + 16)
        for index in scalars.indices {
            if escapes(index) {
                result += "\\u{"
                result += String(scalars[index].value, radix: 16, uppercase: true)
                result += "}"
            } else {
                result.unicodeScalars.append(scalars[index])
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
