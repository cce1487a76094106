import GroupEvents
import SafeGroup

/// A burst of many short children: warming the product cache after a deploy.
///
/// This is what ``DemoControl/burst(_:)`` runs: `count` children under a limit, each reading
/// one key from the catalogue; about 2% of the reads reset their connection.
public struct CacheWarmBurst: Sendable {
    /// How many keys are read at once.
    public static let concurrentReads = 64

    public init() {}

    /// Reads `count` keys, with answers drawn from `seed`; returns the group's faults.
    public func run(count: Int, seed: UInt64, context: WorkloadContext) async -> [Fault] {
        var random = SeededGenerator(seed: seed)
        // Drawn before spawning, in order, so the seed fixes every answer whatever the timing.
        let answers = (0..<count).map { key -> SimulatedResponse in
            random.chance(0.02)
                ? .reset(after: random.milliseconds(2...20), bytesReceived: 0)
                : .ok(["key": "product-\(key)", "bytes": "\(Int.random(in: 200...4_000, using: &random))"], after: random.milliseconds(2...30))
        }
        let report = await withSafeGroup(of: Void.self, name: "cache warm-up (\(count) keys)", policy: .collectAll,
                                         limit: Self.concurrentReads, timeout: .milliseconds(500),
                                         slowCancelThreshold: .milliseconds(500), sink: context.sink) { reads in
            context.opened(reads.id)
            for (key, answer) in answers.enumerated() {
                await reads.spawn("warm product-\(key)") {
                    try await context.track("warm product-\(key)") { try await CatalogueCache.warm(key: key, response: answer) }
                }
            }
        }
        return report.faults
    }
}

/// The catalogue cache's client.
enum CatalogueCache {
    static func warm(key: Int, response: SimulatedResponse) async throws {
        let (status, body) = try await SimulatedTransport.send(to: "catalogue", expecting: response)
        try BackendStatus.check(status, service: "catalogue")
        _ = try KeyValuePayload.decode(body).int("bytes")
    }
}
