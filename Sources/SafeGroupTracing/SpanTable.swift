import Tracing
import Synchronization

/// The spans open now, by group or task id, in shards: children on every core end theirs at
/// once, and one lock for all of them would be where they meet.
final class SpanTable<Key: Hashable & RawRepresentable<UInt64> & Sendable>: Sendable {
    private static var shardCount: Int { 16 }
    private final class Shard: Sendable {
        let spans = Mutex<[Key: any Span]>([:])
    }
    private let shards: [Shard]

    init() {
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    private func shard(_ key: Key) -> Shard {
        shards[Int(truncatingIfNeeded: key.rawValue) & (Self.shardCount - 1)]
    }

    func insert(_ key: Key, _ span: any Span) {
        shard(key).spans.withLock { $0[key] = span }
    }

    func get(_ key: Key) -> (any Span)? {
        shard(key).spans.withLock { $0[key] }
    }

    @discardableResult
    func remove(_ key: Key) -> (any Span)? {
        shard(key).spans.withLock { $0.removeValue(forKey: key) }
    }

    /// How many spans are open; for tests.
    var count: Int { shards.reduce(0) { $0 + $1.spans.withLock { $0.count } } }
}
