import DemoWorkloads
import GroupEvents
import GroupEventsTesting
import SafeGroup
import Testing

extension DemoTests {
    @Suite("DemoControl acts on running code")
    struct DemoControlTests {
        /// Starts a burst and waits until its children are running, so there is something to act on.
        private func runningBurst(_ control: DemoControl, count: Int = 1_000) async throws -> String {
            let name = control.burst(count)
            try #require(await eventually { control.runningChildren > 0 }, "the burst's children never started")
            return name
        }

        @Test func anInjectedErrorIsThrownFromTheChosenChildsOwnCall() async throws {
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 5, sink: sink)
            _ = try await runningBurst(control)
            let target = try #require(control.injectError(), "no running child took the injection")
            let task = try #require(target.task, "children of a group with a sink have ids")
            #expect(target.kind == .error)

            #expect(await eventually { control.runningWorkloads == 0 }, "the burst did not end")
            let fault = try #require(sink.faults.first { $0.task == task }, "the injected child \(target.name) recorded no fault")
            #expect(fault.kind == .error)
            #expect(fault.errorType == "DemoWorkloads.InjectedError")
            #expect(fault.taskName == target.name)
            #expect(fault.stackOrigin == "error")
            #expect(fault.stack.contains { $0.symbol.contains("CatalogueCache.warm") }, "stack: \(fault.stack.map(\.symbol))")
        }

        @Test func anInjectedTimeoutMakesTheChildTimeOut() async throws {
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 6, sink: sink)
            _ = try await runningBurst(control)
            let target = try #require(control.injectTimeout())
            let task = try #require(target.task)

            #expect(await eventually { control.runningWorkloads == 0 }, "the burst did not end")
            let fault = try #require(sink.faults.first { $0.task == task }, "the child \(target.name) recorded no fault")
            #expect(fault.kind == .timeout)
            let ended = sink.events { if case .taskEnded(let end) = $0, end.task == task { end.status } else { nil } }
            #expect(ended == [.timedOut])
        }

        @Test func nothingToInjectIntoWhenNoChildRuns() {
            let control = DemoControl(seed: 7, sink: InMemoryEventSink())
            #expect(control.injectError() == nil)
            #expect(control.injectTimeout() == nil)
            #expect(control.cancelGroup() == nil)
        }

        @Test func aBurstIsOneGroupOfThatManyChildren() async throws {
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 8, sink: sink)
            let name = control.burst(1_000)
            #expect(await eventually { control.runningWorkloads == 0 }, "the burst did not end")
            let group = try #require(sink.groupsOpened.first { $0.name == name })
            #expect(group.limit == CacheWarmBurst.concurrentReads)
            #expect(sink.tasksSpawned.filter { $0.group == group.group }.count == 1_000)
            let closed = try #require(sink.groupsClosed.first { $0.group == group.group })
            #expect(closed.childCount == 1_000)
        }

        @Test func cancellingAGroupCancelsItsRunningChildren() async throws {
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 9, sink: sink)
            let name = try await runningBurst(control)
            let cancelled = try #require(control.cancelGroup())
            #expect(cancelled.name == name)
            let group = try #require(cancelled.group, "the burst's group was open, so the run knows it")

            #expect(await eventually { control.runningWorkloads == 0 }, "the cancelled burst did not end")
            let closed = try #require(sink.groupsClosed.first { $0.group == group })
            #expect(closed.cancellation == .parentCancelled)
            #expect(sink.faults.contains { $0.group == group && $0.kind == .cancelled })
        }
    }
}
