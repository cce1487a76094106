/// How many terminal columns text takes: a `wcwidth` for the pure module.
///
/// The dashboard lays out untrusted text in fixed columns, so it must know each character's
/// width the way a terminal does: East Asian Wide and Fullwidth characters (CJK, kana, Hangul,
/// fullwidth forms) and emoji with emoji presentation take two columns; combining marks,
/// format characters (zero-width joiner, zero-width space, BOM) and variation selectors take
/// none; everything else takes one. libc's `wcwidth` depends on the process locale and is not
/// available to a module that does no I/O, so the ranges that matter are written out here.
///
/// Widths are per grapheme cluster (`Character`): a base character with combining marks takes
/// the base's width; an emoji sequence (ZWJ, skin tone, flag) takes two columns.
public enum DisplayWidth {
    /// The columns a terminal gives `scalar` on its own: 0, 1 or 2.
    ///
    /// Controls are given 0: they never reach a cell (text is sanitized first, and the
    /// screen replaces any that slip through), so they must not take room either.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x7F { return value < 0x20 ? 0 : 1 }  // ASCII fast path
        if value < 0xA0 { return 0 }  // DEL and C1 controls
        if value < 0x300 { return 1 }  // Latin-1 and Latin Extended: all narrow (soft hyphen too, as terminals draw it)
        if isZeroWidth(scalar) { return 0 }
        if isWide(value) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// The columns a terminal gives one grapheme cluster.
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        var width = 0
        var sawBase = false
        for scalar in scalars {
            // U+FE0F asks for emoji presentation: the cluster becomes two columns wide
            // (for example ❤️, U+2764 U+FE0F). U+20E3 makes a keycap (1️⃣), also an emoji.
            if scalar.value == 0xFE0F || scalar.value == 0x20E3 { return 2 }
            if !sawBase {
                let w = of(scalar)
                if w > 0 || scalar.properties.generalCategory == .control { sawBase = true }
                width = w
            } else if scalar.properties.isEmojiPresentation {
                // A skin-tone modifier or the second half of a flag after its base: still 2.
                width = 2
            }
        }
        return width
    }

    /// The columns a terminal gives `text`.
    public static func of(_ text: some StringProtocol) -> Int {
        var total = 0
        // ASCII needs no grapheme breaking; most names and paths are ASCII.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
        for character in text { total += of(character) }
        return total
    }

    /// Combining marks, format characters and other code points that take no column.
    static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        // Hangul medial vowels and final consonants combine with the initial consonant.
        if (0x1160...0x11FF).contains(value) || (0xD7B0...0xD7FF).contains(value) { return true }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control, .surrogate: return true
        default: return false
        }
    }

    /// East Asian Wide (W) and Fullwidth (F) code points outside the emoji-presentation set,
    /// from Unicode's EastAsianWidth.txt, merged into ranges.
    static func isWide(_ value: UInt32) -> Bool {
        if value < 0x1100 { return false }
        var low = 0
        var high = wideRanges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let range = wideRanges[mid]
            if value < range.lowerBound {
                high = mid - 1
            } else if value > range.upperBound {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }

    /// Sorted, non-overlapping.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F,  // Hangul Jamo initial consonants
        0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693,
        0x26A1...0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE,
        0x26D4...0x26D4, 0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA,
        0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728, 0x274C...0x274C,
        0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797, 0x27B0...0x27B0,
        0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E,  // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
        0x3041...0x33FF,  // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, CJK compatibility
        0x3400...0x4DBF,  // CJK Extension A
        0x4E00...0x9FFF,  // CJK Unified Ideographs
        0xA000...0xA4CF,  // Yi
        0xA960...0xA97F,  // Hangul Jamo Extended-A
        0xAC00...0xD7A3,  // Hangul syllables
        0xF900...0xFAFF,  // CJK compatibility ideographs
        0xFE10...0xFE19,  // vertical forms
        0xFE30...0xFE6F,  // CJK compatibility forms, small form variants
        0xFF00...0xFF60,  // fullwidth forms
        0xFFE0...0xFFE6,  // fullwidth signs
        0x16FE0...0x16FE4, 0x17000...0x18CFF,  // Tangut
        0x1AFF0...0x1B2FF,  // Kana supplement and extensions, Nushu
        0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A,
        0x1F200...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248, 0x1F250...0x1F251, 0x1F260...0x1F265,
        0x20000...0x2FFFD,  // CJK Extensions B–F, compatibility supplement
        0x30000...0x3FFFD,  // CJK Extensions G–H
    ]
}
