import GroupEvents
import GroupEventsTesting
import Testing

/// The test sink keeps events per thread; these pin that `events` still gives them all back,
/// in the order they arrived.
@Suite struct InMemoryEventSinkTests {
    private static func event(_ task: UInt64, group: UInt64 = 1) -> Event {
        Event(time: MonotonicTime(nanoseconds: task), .taskStarted(TaskStarted(task: TaskID(task), group: GroupID(group))))
    }

    private static func ids(_ events: [Event]) -> [(group: UInt64, task: UInt64)] {
        events.compactMap {
            guard case .taskStarted(let started) = $0.kind else { return nil }
            return (started.group.rawValue, started.task.rawValue)
        }
    }

    @Test func eventsEmittedOneAfterAnotherFromDifferentThreadsKeepTheirOrder() async {
        let sink = InMemoryEventSink()
        // Each emit happens after the previous one returned, on whichever thread runs the task.
        for task in 0..<2_000 as Range<UInt64> {
            await Task.detached { sink.emit(Self.event(task)) }.value
        }
        #expect(Self.ids(sink.events).map(\.task) == Array(0..<2_000))
        #expect(sink.count == 2_000)
    }

    @Test func concurrentEmittersLoseNothingAndEachKeepsItsOwnOrder() async {
        let sink = InMemoryEventSink()
        let perEmitter: UInt64 = 20_000  // several chunks a shard
        await withTaskGroup(of: Void.self) { group in
            for emitter in 1...6 as ClosedRange<UInt64> {
                group.addTask {
                    for task in 0..<perEmitter {
                        sink.emit(Self.event(task, group: emitter))
                        if task % 1_000 == 0 { await Task.yield() }  // move between threads
                    }
                }
            }
        }
        let ids = Self.ids(sink.events)
        #expect(ids.count == 6 * Int(perEmitter))
        #expect(sink.count == ids.count)
        for emitter in 1...6 as ClosedRange<UInt64> {
            #expect(ids.filter { $0.group == emitter }.map(\.task) == Array(0..<perEmitter))
        }
    }

    @Test func clearEmptiesEveryShard() async {
        let sink = InMemoryEventSink()
        await withTaskGroup(of: Void.self) { group in
            for emitter in 1...4 as ClosedRange<UInt64> {
                group.addTask { for task in 0..<5_000 as Range<UInt64> { sink.emit(Self.event(task, group: emitter)) } }
            }
        }
        #expect(sink.count == 20_000)
        sink.clear()
        #expect(sink.count == 0)
        #expect(sink.events.isEmpty)
        sink.emit(Self.event(42))
        #expect(Self.ids(sink.events).map(\.task) == [42])
    }
}
