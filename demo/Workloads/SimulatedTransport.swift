/// The one place where the demo's code waits for a remote answer.
///
/// Every await of a workload's child goes through here, so this is also where injected faults
/// reach a running child (``InjectionPoint/check()``): an injected error is thrown from the
/// real call path, and its stack shows the client function that made the call.
enum SimulatedTransport {
    /// Longer than any timeout the workloads set: a hanging call ends only by cancellation.
    static let forever: Duration = .seconds(3600)

    /// Sends a request to `endpoint` and waits for `response`.
    ///
    /// - Returns: The status and body of a ``SimulatedResponse/reply(status:body:after:)``.
    /// - Throws: ``ConnectionReset`` for a reset, `CancellationError` when the caller is
    ///   cancelled (a timeout), or an injected error.
    static func send(to endpoint: String, expecting response: SimulatedResponse) async throws -> (status: Int, body: [UInt8]) {
        try await InjectionPoint.check()
        switch response {
        case .reply(let status, let body, let latency):
            try await Task.sleep(for: latency)
            try await InjectionPoint.check()
            return (status, body)
        case .reset(let latency, let bytesReceived):
            try await Task.sleep(for: latency)
            try await InjectionPoint.check()
            throw ConnectionReset(endpoint: endpoint, bytesReceived: bytesReceived)
        case .hang:
            try await Task.sleep(for: forever)
            throw ConnectionReset(endpoint: endpoint, bytesReceived: 0)
        }
    }
}
