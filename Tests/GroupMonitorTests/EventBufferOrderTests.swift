import GroupEvents
@testable import GroupMonitor
import Synchronization
import Testing
import TestSupport

/// The sharded buffer hands events on in the order they happened, whichever threads emitted them.
@Suite("The event buffer's order across shards")
struct EventBufferOrderTests {
    private static func numbered(_ numbers: [UInt64]) -> [EventBuffer.Numbered] {
        numbers.map { EventBuffer.Numbered(number: $0, event: Lifecycle.started($0)) }
    }

    private static func tasks(_ events: [Event]) -> [UInt64] {
        events.compactMap { if case .taskStarted(let s) = $0.kind { s.task.rawValue } else { nil } }
    }

    private static func consumer(runs: [[UInt64]], waiting: [UInt64] = [], next: UInt64 = 1) -> EventBuffer.Consumer {
        var runs = runs.map(numbered)
        while runs.count < EventBuffer.shardCount { runs.append([]) }
        var c = EventBuffer.Consumer(spares: [], peaks: [], runs: runs)
        c.waiting = numbered(waiting)
        c.next = next
        return c
    }

    @Test func interleavedShardsMergeInNumberOrder() {
        var c = Self.consumer(runs: [[1, 2, 5, 6, 9], [3, 4, 7], [8, 10]])
        var batch: [Event] = []
        EventBuffer.merge(&c, into: &batch)
        #expect(Self.tasks(batch) == Array(1...10))
        #expect(c.next == 11)
        #expect(c.waiting.isEmpty)
    }

    @Test func eventsAfterAHoleWaitForTheNextTake() {
        // Number 4 was taken by a producer whose shard had already been swapped out.
        var c = Self.consumer(runs: [[1, 2, 5, 7], [3, 6]])
        var batch: [Event] = []
        EventBuffer.merge(&c, into: &batch)
        #expect(Self.tasks(batch) == [1, 2, 3])
        #expect(c.waiting.map(\.number) == [5, 6, 7], "kept in number order")
        for index in c.runs.indices { c.runs[index] = [] }
        c.runs[3] = Self.numbered([4, 8])
        batch.removeAll()
        EventBuffer.merge(&c, into: &batch)
        #expect(Self.tasks(batch) == [4, 5, 6, 7, 8])
        #expect(c.waiting.isEmpty)
    }

    @Test func aHoleThatStaysOpenHandsNothingOnPastIt() {
        var c = Self.consumer(runs: [[6, 7]], waiting: [], next: 5)
        var batch: [Event] = []
        EventBuffer.merge(&c, into: &batch)
        #expect(batch.isEmpty)
        #expect(c.next == 5)
        #expect(c.waiting.map(\.number) == [6, 7])
    }

    /// Each task's three events go to three different shards, in an order of shards that
    /// concatenation would reverse, while a consumer takes all the while: every task's events
    /// must come out spawned, started, ended, none lost, none twice. Producers on several
    /// threads at once, each a chain of its own.
    @Test(arguments: 0..<4) func causalOrderHoldsAcrossShardsUnderConcurrentTakes(seed: Int) async throws {
        let buffer = try EventBuffer(capacity: 1 << 20)
        let producers = 3
        let perProducer = 20_000
        let expected = producers * perProducer * 3
        let collected = Mutex<[Event]>([])
        let done = Atomic<Bool>(false)
        let consumer = Task.detached {
            var batch: [Event] = []
            var all: [Event] = []
            while true {
                let finished = done.load(ordering: .acquiring)
                _ = buffer.take(into: &batch)
                let count = batch.count
                all.append(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
                if finished && count == 0 && buffer.prepareToSleep() { break }
            }
            collected.withLock { $0 = all }
        }
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var random = SplitMix64(seed: UInt64(seed * 10 + producer))
                    for index in 0..<perProducer {
                        let task = UInt64(producer * 1_000_000 + index)
                        let first = Int(random.next() % 8)
                        buffer.push(Lifecycle.spawned(task), shard: first)
                        buffer.push(Lifecycle.started(task), shard: (first + 7) % 8)
                        buffer.push(Lifecycle.ended(task), shard: (first + 3) % 8)
                    }
                }
            }
        }
        done.store(true, ordering: .releasing)
        await consumer.value
        let events = collected.withLock { $0 }
        #expect(events.count == expected)
        var stage: [UInt64: Int] = [:]
        var outOfOrder = 0
        for event in events {
            switch event.kind {
            case .taskSpawned(let s): if stage[s.task.rawValue] != nil { outOfOrder += 1 }; stage[s.task.rawValue] = 1
            case .taskStarted(let s): if stage[s.task.rawValue] != 1 { outOfOrder += 1 }; stage[s.task.rawValue] = 2
            case .taskEnded(let s): if stage[s.task.rawValue] != 2 { outOfOrder += 1 }; stage[s.task.rawValue] = 3
            default: outOfOrder += 1
            }
        }
        #expect(outOfOrder == 0)
        #expect(stage.count == producers * perProducer)
        #expect(stage.values.allSatisfy { $0 == 3 })
        let totals = buffer.totals
        #expect(totals.produced == UInt64(expected))
        #expect(totals.dropped == 0)
    }

    @Test func theLimitCountsEventsWaitingInEveryShard() async throws {
        let buffer = try EventBuffer(capacity: 64)
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<4 {
                group.addTask {
                    for i in 0..<100 { buffer.push(Lifecycle.started(UInt64(producer * 1000 + i))) }
                }
            }
        }
        var batch: [Event] = []
        let totals = buffer.take(into: &batch)
        // Routine events stop at capacity - reserved (56); each shard in use may overshoot by one.
        #expect(batch.count >= 64 - buffer.reserved)
        #expect(batch.count <= 64 - buffer.reserved + 4)
        #expect(totals.produced == 400)
        #expect(totals.dropped == 400 - UInt64(batch.count))
    }
}
