/// Where a fault's stack came from; the `stackOrigin` field of a `fault` event.
///
/// On the wire it stays a string (docs/PROTOCOL.md), so that a newer producer's origin is shown
/// as it is: a value this build does not know is kept as ``other(_:)``. A string literal makes
/// one, so `info.stackOrigin == "throw"` reads as the wire does.
public enum StackOrigin: Hashable, Sendable {
    /// Where the error was first thrown inside the child (for a timeout or a cancellation:
    /// where the child was waiting when it was cancelled).
    case `throw`
    /// Where the error was created (`StackCarryingError`, `TracedError`).
    case error
    /// A crashed worker process's backtrace.
    case worker
    /// No stack.
    case none
    /// Streams before wire format 1.2: captured where the group caught the error.
    case recorded
    /// A value this build does not know, as the stream gave it.
    case other(String)
}

extension StackOrigin: RawRepresentable {
    /// The wire's string for every value; never fails.
    public init(rawValue: String) {
        switch rawValue {
        case "throw": self = .throw
        case "error": self = .error
        case "worker": self = .worker
        case "none": self = .none
        case "recorded": self = .recorded
        default: self = .other(rawValue)
        }
    }

    /// The wire's string.
    public var rawValue: String {
        switch self {
        case .throw: "throw"
        case .error: "error"
        case .worker: "worker"
        case .none: "none"
        case .recorded: "recorded"
        case .other(let text): text
        }
    }
}

extension StackOrigin: ExpressibleByStringLiteral, CustomStringConvertible {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}
