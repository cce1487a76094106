/// The `/` filter: a case-insensitive substring match, without allocating per candidate.
///
/// ASCII letters match either case; other characters match exactly.
struct TextFilter: Sendable {
    private let needle: [UInt8]

    init(_ text: String) {
        needle = Array(text.utf8).map(Self.folded)
    }

    var isEmpty: Bool { needle.isEmpty }

    /// Whether `text` contains the filter (always true for an empty filter).
    func matches(_ text: String) -> Bool {
        if needle.isEmpty { return true }
        var text = text
        return text.withUTF8 { haystack in
            guard haystack.count >= needle.count else { return false }
            outer: for start in 0...(haystack.count - needle.count) {
                for offset in 0..<needle.count where Self.folded(haystack[start + offset]) != needle[offset] {
                    continue outer
                }
                return true
            }
            return false
        }
    }

    private static func folded(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}
