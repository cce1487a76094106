import Foundation
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

    @Test func eventsEmittedOneAfterAnotherFromDifferentThreadsKeepTheirOrder() {
        let sink = InMemoryEventSink()
        // Eight threads take turns, each emitting after the previous one returned: they land on
        // several of the sink's shards (all eight hashing to one is about one chance in 16^7).
        let threads = 8, turns: UInt64 = 2_000
        let turnsTaken = (0..<threads).map { _ in DispatchSemaphore(value: 0) }
        let finished = DispatchGroup()
        for index in 0..<threads {
            finished.enter()
            Thread {
                var task = UInt64(index)
                while task < turns {
                    turnsTaken[index].wait()
                    sink.emit(Self.event(task))
                    turnsTaken[(index + 1) % threads].signal()
                    task += UInt64(threads)
                }
                finished.leave()
            }.start()
        }
        turnsTaken[0].signal()
        finished.wait()
        #expect(Self.ids(sink.events).map(\.task) == Array(0..<turns))
        #expect(sink.count == Int(turns))
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
