import GroupEventsTesting
import SafeGroup
import Testing

/// Tests await events instead of sleeping: the sink wakes a waiter when its condition holds.
struct InMemoryEventSinkWaitTests {
    @Test func aWaitReturnsOnceTheEventsItWaitsForHaveArrived() async {
        let sink = InMemoryEventSink()
        let (released, release) = AsyncStream<Void>.makeStream()
        let group = Task {
            await withSafeGroup(name: "waited", sink: sink) { group in
                await group.spawn("blocked") { for await _ in released { break } }
            }
        }
        // The child is spawned and blocked: its spawn event is in, the group's close is not.
        #expect(await sink.wait { if case .taskSpawned(let e) = $0 { e } else { nil } })
        #expect(sink.spawned.map(\.name) == ["blocked"])
        #expect(sink.closed.isEmpty)
        release.yield()
        #expect(await sink.wait { if case .groupClosed(let e) = $0 { e } else { nil } })
        #expect(sink.closed.count == 1)
        _ = await group.value
    }

    @Test func aWaitForWhatNeverComesReturnsFalseAtItsLimit() async {
        let sink = InMemoryEventSink()
        #expect(await !sink.wait(within: .milliseconds(1)) { $0.count > 0 })
    }

    @Test func typedAccessorsPickEachKindInOrder() async {
        let sink = InMemoryEventSink()
        struct Failure: Error {}
        _ = await withSafeGroup(name: "kinds", sink: sink) { group in
            await group.spawn("fails") { throw Failure() }
        }
        #expect(sink.opened.map(\.name) == ["kinds"])
        #expect(sink.spawned.map(\.name) == ["fails"])
        #expect(sink.started.count == 1)
        #expect(sink.ended.count == 1)
        #expect(sink.faults.map(\.taskName) == ["fails"])
        #expect(sink.closed.map(\.outcome) == [.faulted])
        #expect(sink.slowToCancel.isEmpty)
    }
}
