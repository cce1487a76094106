import GroupEvents
import Synchronization

/// An ``EventSink`` that keeps every event in memory, for tests.
///
/// ```swift
/// let sink = InMemoryEventSink()
/// let report = await withSafeGroup(name: "checkout", sink: sink) { group in ... }
/// #expect(sink.events.count == 4)
/// ```
///
/// Children emit from every thread at once, so each thread appends to the shard its identity
/// hashes to (one of 16, each with its own lock and cache lines; two threads may share one),
/// numbered by a shared sequence whose order ``events`` restores. Keeping a thread on one shard keeps the
/// shard's lock and its last chunk in that core's cache: round-robin shards made every append
/// fetch both from the other core, which cost half of each append. Each shard keeps its events
/// in fixed-size chunks, so keeping a million of them never copies the ones already kept.
public final class InMemoryEventSink: EventSink {
    private static let chunkSize = 4096
    private static let shardCount = 16

    private struct Numbered {
        var sequence: UInt64
        var event: Event
    }

    private final class Shard: Sendable {
        struct Storage {
            var full: [[Numbered]] = []
            var current: [Numbered] = []
        }
        // Shards are allocated one after another; the padding keeps two shards' locks off one
        // cache line (lines are 64 bytes, and adjacent lines are fetched in pairs).
        private let before: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                             UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let storage = Mutex(Storage())
        private let after: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// Bumped by every event: on lines of its own, apart from `shards`, which every event reads.
    private let sequence = PaddedCounter()
    private let shards: [Shard] = (0..<InMemoryEventSink.shardCount).map { _ in Shard() }

    private struct Waiter {
        var condition: @Sendable ([Event]) -> Bool
        var continuation: CheckedContinuation<Bool, Never>
    }
    /// Tasks in ``wait(within:until:)``; `waiting` counts them, so that an emit without a
    /// waiter costs one relaxed load.
    private let waiters = Mutex<[UInt64: Waiter]>([:])
    private let waiting = Atomic<Int>(0)
    private let nextWaiter = Atomic<UInt64>(0)

    public init() {}

    public func emit(_ event: Event) {
        let number = sequence.next()
        shards[CurrentThread.shard(of: Self.shardCount)].storage.withLock { storage in
            if storage.current.count == Self.chunkSize {
                storage.full.append(storage.current)
                storage.current = []
            }
            if storage.current.capacity == 0 { storage.current.reserveCapacity(Self.chunkSize) }
            storage.current.append(Numbered(sequence: number, event: event))
        }
        if waiting.load(ordering: .relaxed) > 0 { wakeWaiters() }
    }

    /// Waits until the events so far satisfy `condition`, or `limit` passes; returns whether
    /// they did. No polling: `condition` is checked now and after each later event.
    ///
    /// ```swift
    /// let sawFaults = await sink.wait { events in events.count >= 10 }
    /// ```
    @discardableResult
    public func wait(within limit: Duration = .seconds(20),
                     until condition: @escaping @Sendable ([Event]) -> Bool) async -> Bool {
        if condition(events) { return true }
        let id = nextWaiter.add(1, ordering: .relaxed).newValue
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            self?.resumeWaiter(id, with: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiters.withLock { $0[id] = Waiter(condition: condition, continuation: continuation) }
            waiting.add(1, ordering: .relaxed)
            // An event may have come between the first check and the registration.
            wakeWaiters()
        }
    }

    /// Waits until at least `count` events of the kind `extract` picks were received.
    @discardableResult
    public func wait<T>(for count: Int = 1, within limit: Duration = .seconds(20),
                        _ extract: @escaping @Sendable (Event.Kind) -> T?) async -> Bool {
        await wait(within: limit) { events in events.lazy.compactMap { extract($0.kind) }.count >= count }
    }

    private func resumeWaiter(_ id: UInt64, with result: Bool) {
        guard let waiter = waiters.withLock({ $0.removeValue(forKey: id) }) else { return }
        waiting.subtract(1, ordering: .relaxed)
        waiter.continuation.resume(returning: result)
    }

    private func wakeWaiters() {
        let pending = waiters.withLock { $0 }
        guard !pending.isEmpty else { return }
        let snapshot = events
        for (id, waiter) in pending where waiter.condition(snapshot) { resumeWaiter(id, with: true) }
    }

    /// Every event received so far, in the order they arrived.
    public var events: [Event] {
        var all: [Numbered] = []
        for shard in shards {
            shard.storage.withLock { storage in
                for chunk in storage.full { all.append(contentsOf: chunk) }
                all.append(contentsOf: storage.current)
            }
        }
        all.sort { $0.sequence < $1.sequence }
        return all.map(\.event)
    }

    /// How many events were received so far.
    public var count: Int {
        shards.reduce(0) { total, shard in
            total + shard.storage.withLock { $0.full.count * Self.chunkSize + $0.current.count }
        }
    }

    /// Removes every event received so far.
    public func clear() {
        for shard in shards { shard.storage.withLock { $0 = Shard.Storage() } }
    }

    /// The events of one kind, picked out by `extract`, in order.
    public func events<T>(_ extract: (Event.Kind) -> T?) -> [T] {
        events.compactMap { extract($0.kind) }
    }
}
