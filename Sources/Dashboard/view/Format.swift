import GroupEvents

/// Numbers and times as the dashboard writes them: short, fixed-width friendly.
enum Format {
    /// `850ns`, `12µs`, `12.5ms`, `1.25s`, `2m05s`, `1h02m`.
    static func duration(_ nanoseconds: UInt64) -> String {
        switch nanoseconds {
        case ..<1_000: return "\(nanoseconds)ns"
        case ..<1_000_000: return "\(nanoseconds / 1_000)µs"
        case ..<10_000_000: return decimal(nanoseconds, unit: 1_000_000, places: 2) + "ms"
        case ..<1_000_000_000: return decimal(nanoseconds, unit: 1_000_000, places: 1) + "ms"
        case ..<10_000_000_000: return decimal(nanoseconds, unit: 1_000_000_000, places: 2) + "s"
        case ..<60_000_000_000: return decimal(nanoseconds, unit: 1_000_000_000, places: 1) + "s"
        case ..<3_600_000_000_000:
            let seconds = nanoseconds / 1_000_000_000
            return "\(seconds / 60)m" + twoDigits(seconds % 60) + "s"
        default:
            let minutes = nanoseconds / 60_000_000_000
            return "\(minutes / 60)h" + twoDigits(minutes % 60) + "m"
        }
    }

    /// An uptime or a position: `42s`, `3m07s`, `1h02m03s`.
    static func uptime(_ nanoseconds: UInt64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" + twoDigits(seconds % 60) + "s" }
        return "\(seconds / 3600)h" + twoDigits(seconds / 60 % 60) + "m" + twoDigits(seconds % 60) + "s"
    }

    /// A stream time as a clock since the producer's epoch: `m:ss.t` or `h:mm:ss`.
    static func clock(_ time: MonotonicTime) -> String {
        let tenths = time.rawValue / 100_000_000
        let seconds = tenths / 10
        if seconds < 3600 { return "\(seconds / 60):" + twoDigits(seconds % 60) + ".\(tenths % 10)" }
        return "\(seconds / 3600):" + twoDigits(seconds / 60 % 60) + ":" + twoDigits(seconds % 60)
    }

    /// `999`, `12,345`, `123k`, `1.2M`, up to `18.4E`: at most 6 columns (7 when negative).
    static func count<N: BinaryInteger>(_ value: N) -> String {
        if value < 0 { return "-" + count(UInt64(clamping: value.magnitude)) }
        let value = UInt64(clamping: value)
        if value < 100_000 { return grouped(value) }
        if value < 1_000_000 { return "\(value / 1_000)k" }
        if value < 100_000_000 { return decimal(value, unit: 1_000_000, places: 1) + "M" }
        if value < 1_000_000_000 { return "\(value / 1_000_000)M" }
        // From here one decimal of the unit fits: 1.0G to 999.9G, then T, P and E.
        var unit: UInt64 = 1_000_000_000
        for suffix in ["G", "T", "P"] {
            if value / unit < 1_000 { return decimal(value, unit: unit, places: 1) + suffix }
            unit *= 1_000
        }
        return decimal(value, unit: unit, places: 1) + "E"
    }

    private static func grouped(_ value: UInt64) -> String {
        let digits = String(value)
        guard digits.count > 3 else { return digits }
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    /// `value / unit` with `places` decimals, truncated (a duration is never rounded up).
    private static func decimal(_ value: UInt64, unit: UInt64, places: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = value / (unit / scale)
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    private static func twoDigits(_ value: UInt64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Splits `text` into lines of at most `width` columns (breaking at spaces where it can),
    /// at most `maxLines` of them; the last one ends in `…` when text was left over.
    static func wrap(_ text: String, width: Int, maxLines: Int) -> [String] {
        guard width > 0, maxLines > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        var currentWidth = 0
        var lastSpace: String.Index?
        for character in text {
            let w = DisplayWidth.of(character)
            if currentWidth + w > width {
                if character == " " {
                    lines.append(current)  // the line ends right here: break at this space
                    current = ""
                    currentWidth = 0
                } else if let space = lastSpace, space > current.startIndex {
                    let rest = String(current[current.index(after: space)...])
                    lines.append(String(current[..<space]))
                    current = rest
                    currentWidth = DisplayWidth.of(rest)
                } else {
                    lines.append(current)
                    current = ""
                    currentWidth = 0
                }
                lastSpace = nil
                if lines.count == maxLines {
                    lines[maxLines - 1] += "…"  // the screen clips it to the width, ending in …
                    return lines
                }
                if character == " " { continue }
            }
            if character == " " { lastSpace = current.endIndex }
            current.append(character)
            currentWidth += w
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
