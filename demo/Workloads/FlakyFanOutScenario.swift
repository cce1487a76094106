/// One recommendations request: the shards it asks, how each answers, and whether the
/// request also waits on the legacy index (which ignores cancellation).
public struct FlakyFanOutScenario: Hashable, Sendable {
    /// One shard's answers, one per attempt (the client retries a 429).
    public struct Shard: Hashable, Sendable {
        public let index: Int
        public let attempts: [SimulatedResponse]
    }

    public let requestID: Int
    public let shards: [Shard]
    /// How long the legacy index takes to rebuild, when this request waits for it.
    public let legacyRebuild: Duration?

    /// One child per shard, and one for the legacy index.
    public var childCount: Int { shards.count + (legacyRebuild == nil ? 0 : 1) }

    /// A request to 6–10 shards. A shard answers with a corrupt body (8%), resets the connection
    /// (8%), rate-limits the client (10%: for good half the time, else once), or hangs (6%).
    /// A third of the requests also wait 0.9–1.4 s for the legacy index, well past their timeout.
    public static func random(requestID: Int, using random: inout SeededGenerator) -> FlakyFanOutScenario {
        let shards = (0..<Int.random(in: 6...10, using: &random)).map { index -> Shard in
            let roll = Double.random(in: 0..<1, using: &random)
            let good = SimulatedResponse.ok(["items": "\(Int.random(in: 0...25, using: &random))", "shard": "\(index)"],
                                            after: random.milliseconds(10...80))
            let tooMany = SimulatedResponse.reply(status: 429, body: [], after: random.milliseconds(5...20))
            let attempts: [SimulatedResponse]
            switch roll {
            case ..<0.08:
                // A non-numeric count: a proxy on the way mangled the body.
                attempts = [.reply(status: 200, body: KeyValuePayload.encode(["items": "1\u{FFFD}", "shard": "\(index)"]),
                                   after: random.milliseconds(10...60))]
            case ..<0.16:
                attempts = [.reset(after: random.milliseconds(10...60), bytesReceived: Int.random(in: 0...2_048, using: &random))]
            case ..<0.21:
                attempts = Array(repeating: tooMany, count: RecommendationClient.maximumAttempts)
            case ..<0.26:
                attempts = [tooMany, good]
            case ..<0.32:
                attempts = [.hang]
            default:
                attempts = [good]
            }
            return Shard(index: index, attempts: attempts)
        }
        let legacy = random.chance(1.0 / 3.0) ? random.milliseconds(900...1_400) : nil
        return FlakyFanOutScenario(requestID: requestID, shards: shards, legacyRebuild: legacy)
    }
}
