/// A stream this build cannot read at all: its header names another format or a major
/// version it does not know.
///
/// This is the decoder's only error. Everything else that can go wrong with a line is a
/// ``WireDiagnostic``: the line is skipped and reading goes on.
public struct WireFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the header. A struct of constants, so new codes don't break a switch.
    public struct Code: Hashable, Sendable {
        private enum Value: Hashable, Sendable {
            case unsupportedVersion, unreadableVersion, notAnEventStream
        }
        private let value: Value

        /// The header's major version is not one this build reads.
        public static let unsupportedVersion = Code(value: .unsupportedVersion)
        /// The header's version is missing or is not `major.minor`.
        public static let unreadableVersion = Code(value: .unreadableVersion)
        /// The header's `format` is not ``WireFormat/name``: this is some other JSON.
        public static let notAnEventStream = Code(value: .notAnEventStream)
    }

    public var code: Code
    /// What the header said: the version text, or the format name.
    public var found: String
    /// The 1-based number of the header's line.
    public var line: Int

    public init(code: Code, found: String, line: Int) {
        self.code = code
        self.found = found
        self.line = line
    }

    public var description: String {
        let reads = "this safegroup reads \(WireFormat.version.major).x"
        let found = WireDiagnostic.printable(found)
        switch code {
        case .unsupportedVersion:
            return "unsupported wire format version \(found) (\(reads); upgrade safegroup)"
        case .unreadableVersion:
            return "unreadable wire format version \"\(found)\" on line \(line) (expected major.minor; \(reads))"
        default:
            return "line \(line) is not a safegroup event stream header (format \"\(found)\", expected \"\(WireFormat.name)\")"
        }
    }
}
