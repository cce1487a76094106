import DemoWorkloads
import GroupEvents
import GroupEventsTesting
import SafeGroup
import Testing
import TestSupport

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
            #expect(control.cancelGroup(GroupID(1)) == nil)
        }

        @Test func aBurstIsOneGroupOfThatManyChildren() async throws {
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 8, sink: sink)
            let name = control.burst(1_000)
            #expect(await eventually { control.runningWorkloads == 0 }, "the burst did not end")
            let group = try #require(sink.opened.first { $0.name == name })
            #expect(group.limit == CacheWarmBurst.concurrentReads)
            #expect(sink.spawned.filter { $0.group == group.group }.count == 1_000)
            let closed = try #require(sink.closed.first { $0.group == group.group })
            #expect(closed.childCount == 1_000)
        }

        /// `x` in the demo: the run whose top-level group is the chosen one is cancelled, and
        /// only that one.
        @Test func cancellingAGroupCancelsThatRunsChildrenAndNoOther() async throws {
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 9, sink: sink)
            let kept = control.burst(300)
            let name = try await runningBurst(control, count: 1_000)
            let group = try #require(await openedGroup(named: name, in: sink), "the burst's group never opened")
            let other = try #require(await openedGroup(named: kept, in: sink))
            // Not a run's top-level group: nothing is cancelled.
            #expect(control.cancelGroup(GroupID(group.rawValue + 10_000)) == nil)
            let cancelled = try #require(control.cancelGroup(group), "the running burst's group was not found")
            #expect(cancelled.name == name)
            #expect(cancelled.group == group)

            #expect(await eventually { control.runningWorkloads == 0 }, "the bursts did not end")
            let closed = try #require(sink.closed.first { $0.group == group })
            #expect(closed.cancellation == .parentCancelled)
            #expect(sink.faults.contains { $0.group == group && $0.kind == .cancelled })
            // The other burst ran to its end, uncancelled.
            let otherClosed = try #require(sink.closed.first { $0.group == other })
            #expect(otherClosed.cancellation == nil)
            #expect(otherClosed.childCount == 300)
            // Once ended, a run cannot be cancelled.
            #expect(control.cancelGroup(group) == nil)
        }

        /// The group a run opened under `name`, once its group.opened event is in `sink`.
        private func openedGroup(named name: String, in sink: InMemoryEventSink) async -> GroupID? {
            _ = await eventually { sink.opened.contains { $0.name == name } }
            return sink.opened.first { $0.name == name }?.group
        }
    }
}
