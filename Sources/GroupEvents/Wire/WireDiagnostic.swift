/// Something the decoder noticed about one line and read past.
///
/// Diagnostics never stop the decoder: the line is skipped (or, for ``Kind/missingHeader``,
/// read anyway) and counted in ``WireDecoder/Counters``.
public struct WireDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// What the decoder noticed.
    public enum Kind: Hashable, Sendable {
        /// The line is not valid JSON or not a valid header or event; it was skipped.
        case malformed(reason: String)
        /// The line is longer than the decoder's limit; it was skipped without being buffered.
        case overLong(limit: Int)
        /// The line's `type` is not one this build knows, probably from a newer minor version;
        /// it was skipped.
        case unknownType(String)
        /// The input ended inside this line, which does not parse; it was dropped.
        case tornLastLine
        /// This event line came before any header; it was read anyway.
        case missingHeader
    }

    /// The 1-based number of the line.
    public var line: Int
    public var kind: Kind

    public init(line: Int, kind: Kind) {
        self.line = line
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .malformed(let reason): return "line \(line): malformed: \(Self.printable(reason))"
        case .overLong(let limit): return "line \(line): longer than \(limit) bytes, skipped"
        case .unknownType(let type): return "line \(line): unknown event type \"\(Self.printable(type))\", skipped"
        case .tornLastLine: return "line \(line): the input ended inside this line, dropped"
        case .missingHeader: return "line \(line): event before any header"
        }
    }

    /// `text` reduced to printable ASCII and cut to 64 characters, safe to show anywhere.
    ///
    /// Diagnostics quote text from the stream, which is untrusted: a control character or a
    /// bidi override in a type name must not reach a terminal through an error message.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(64) {
            result.unicodeScalars.append((0x20..<0x7F).contains(scalar.value) ? scalar : "?")
        }
        return text.unicodeScalars.count > 64 ? result + "..." : result
    }
}
