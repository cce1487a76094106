import GroupEvents

/// Rewrites encoded NDJSON so that no code point a terminal acts on appears raw.
///
/// The wire format escapes only what JSON requires (C0 controls); DEL, the C1 controls and the
/// bidi controls are written as plain UTF-8 (docs/PROTOCOL.md). `dump --json` may go straight
/// to a terminal, so it writes those as `\u00XX` / `\u202E` escapes instead: the same JSON
/// values for jq, and nothing for a terminal to act on. In the encoder's output they can only
/// occur inside strings (everything else is ASCII), so a byte-level pass is exact.
enum TerminalSafeJSON {
    /// Appends `line` to `output`, escaping DEL, C1 and bidi code points.
    static func append(_ line: [UInt8], to output: inout [UInt8]) {
        // Fast path: none of the lead bytes of those code points is present.
        guard line.contains(where: { $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 }) else {
            output.append(contentsOf: line)
            return
        }
        var index = 0
        while index < line.count {
            let (scalar, length) = decode(line, at: index)
            // TextSanitizer's list, less the C0 controls (the encoder escapes those itself).
            if let scalar, scalar >= 0x20, let value = Unicode.Scalar(scalar), TextSanitizer.needsEscape(value) {
                let hex = String(scalar, radix: 16)
                output.append(contentsOf: Array("\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".utf8))
            } else {
                output.append(contentsOf: line[index..<index + length])
            }
            index += length
        }
    }

    /// The code point starting at `index` (only the two- and three-byte forms matter here) and
    /// the number of bytes to copy.
    private static func decode(_ bytes: [UInt8], at index: Int) -> (UInt32?, Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        if lead & 0xE0 == 0xC0, index + 1 < bytes.count {
            return ((UInt32(lead & 0x1F) << 6) | UInt32(bytes[index + 1] & 0x3F), 2)
        }
        if lead & 0xF0 == 0xE0, index + 2 < bytes.count {
            return ((UInt32(lead & 0x0F) << 12) | (UInt32(bytes[index + 1] & 0x3F) << 6) | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        return (nil, 1)
    }
}
