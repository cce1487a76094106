// The errors the demo's backends and clients throw. Each is its own type so that faults show
// different `errorType`s in the dashboard, as they would in a real service.

/// The payment provider refused the charge (HTTP 402).
///
/// Thrown wrapped in `TracedError`, so the fault shows the stack of the code that decided.
public struct PaymentDeclined: Error, Equatable, CustomStringConvertible {
    /// The provider's decline code, for example 51 (insufficient funds).
    public let code: Int
    public let amountCents: Int
    public var description: String { "card declined (code \(code)) for \(amountCents) cents" }
}

/// A backend answered 503: it is up but refuses work.
public struct ServiceUnavailable: Error, Equatable, CustomStringConvertible {
    public let service: String
    public var description: String { "\(service) is unavailable (503)" }
}

/// The peer closed the connection in the middle of a call.
public struct ConnectionReset: Error, Equatable, CustomStringConvertible {
    public let endpoint: String
    /// How many bytes of the answer had arrived.
    public let bytesReceived: Int
    public var description: String { "connection reset by \(endpoint) after \(bytesReceived) bytes" }
}

/// A backend answered 429 and the client ran out of retries.
public struct RateLimited: Error, Equatable, CustomStringConvertible {
    public let endpoint: String
    public let attempts: Int
    public var description: String { "\(endpoint) rate limited the client (429) \(attempts) times" }
}

/// A payload could not be decoded.
public struct PayloadDecodingError: Error, Equatable, CustomStringConvertible {
    /// The byte offset where decoding stopped.
    public let offset: Int
    public let reason: String
    public var description: String { "cannot decode payload at byte \(offset): \(reason)" }
}

/// A table's columns do not match what the sync expects.
public struct SchemaMismatch: Error, Equatable, CustomStringConvertible {
    public let table: String
    public let column: String
    public var description: String { "table \(table): column \(column) changed type upstream" }
}

/// An error put into a running child on request (``DemoControl/injectError()``).
public struct InjectedError: Error, Equatable, CustomStringConvertible {
    /// The name of the child it was injected into.
    public let child: String
    public var description: String { "error injected into '\(child)' by the demo control" }
}
