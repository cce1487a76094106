import GroupEvents
import SafeGroup

/// What a recommendations request ended with.
public struct FlakyFanOutResult: Sendable {
    public let requestID: Int
    /// The items the shards that answered returned.
    public let items: Int
    /// Every shard (or legacy index) call that failed, timed out or was cancelled.
    public let faults: [Fault]
}

/// A recommendations request: fans out to flaky shards, each under a short timeout, and
/// sometimes waits on a legacy index client that ignores cancellation, so that a child keeps
/// running after its timeout and is reported slow to cancel.
public struct FlakyFanOut: Sendable {
    /// The longest one shard call may take, retries included.
    public static let callTimeout: Duration = .milliseconds(500)
    /// How many shards are asked at once.
    public static let concurrentCalls = 4
    /// A child still running this long after its timeout is reported slow to cancel.
    public static let slowCancelThreshold: Duration = .milliseconds(150)

    public init() {}

    /// Handles one request; returns when every child has ended (the legacy one included).
    public func run(_ request: FlakyFanOutScenario, context: WorkloadContext) async -> FlakyFanOutResult {
        // Collect all: a page of recommendations is still useful with a few shards missing.
        let report = await withSafeGroup(of: Int.self, name: "recommendations #\(request.requestID)", policy: .collectAll,
                                         limit: Self.concurrentCalls, timeout: Self.callTimeout,
                                         slowCancelThreshold: Self.slowCancelThreshold, sink: context.sink) { calls in
            context.opened(calls.id)
            if let rebuild = request.legacyRebuild {
                await calls.spawn("legacy index") {
                    try await context.track("legacy index") { try await LegacyIndexClient.rebuild(shards: request.shards.count, taking: rebuild) }
                }
            }
            for shard in request.shards {
                await calls.spawn("shard \(shard.index)") {
                    try await context.track("shard \(shard.index)") { try await RecommendationClient.fetch(shard) }
                }
            }
        }
        return FlakyFanOutResult(requestID: request.requestID, items: report.results.reduce(0) { $0 + $1.value }, faults: report.faults)
    }
}

/// The client of one recommendations shard: retries a 429 with backoff, decodes the answer.
enum RecommendationClient {
    static let maximumAttempts = 3

    static func fetch(_ shard: FlakyFanOutScenario.Shard) async throws -> Int {
        let endpoint = "recommendations-\(shard.index)"
        for (attempt, response) in shard.attempts.enumerated() {
            let (status, body) = try await SimulatedTransport.send(to: endpoint, expecting: response)
            if status == 429 {
                if attempt + 1 == maximumAttempts { throw RateLimited(endpoint: endpoint, attempts: attempt + 1) }
                try await Task.sleep(for: .milliseconds(10 * (attempt + 1)))
                continue
            }
            try BackendStatus.check(status, service: endpoint)
            return try decode(body)
        }
        throw RateLimited(endpoint: endpoint, attempts: shard.attempts.count)
    }

    static func decode(_ body: [UInt8]) throws -> Int {
        try KeyValuePayload.decode(body).int("items")
    }
}
