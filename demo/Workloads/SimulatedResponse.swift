/// How a simulated remote endpoint answers one call.
///
/// Scenarios draw these from a seeded generator before a workload runs, so a seed fixes
/// every answer; the workload's real client code then meets them through
/// ``SimulatedTransport`` and decides, as it would against a real backend, what is an error.
public enum SimulatedResponse: Hashable, Sendable {
    /// Answers with an HTTP-like status and a body after `latency`.
    case reply(status: Int, body: [UInt8], after: Duration)
    /// Sends `bytesReceived` bytes, then the peer resets the connection.
    case reset(after: Duration, bytesReceived: Int)
    /// Never answers: only the caller's timeout (or cancellation) ends the call.
    case hang

    /// A 200 with `body` encoded as a ``KeyValuePayload``.
    static func ok(_ fields: KeyValuePairs<String, String>, after latency: Duration) -> SimulatedResponse {
        .reply(status: 200, body: KeyValuePayload.encode(fields), after: latency)
    }
}
