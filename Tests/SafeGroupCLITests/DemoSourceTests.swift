import Dashboard
import Foundation
import GroupEvents
@testable import SafeGroupCLI
import Testing

/// The demo's `x` key, from the reducer through ``DemoSource`` to the running workloads.
@Suite struct DemoSourceTests {
    /// Polls `source` into `state` (ticking, as the run loop does) until `condition` holds, at
    /// most 60 s (generous: the suite runs beside others on two cores); returns whether it
    /// held. Never asserts a time.
    private func run(_ source: inout DemoSource, into state: inout DashboardState,
                     until condition: (DashboardState) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            source.poll { state.update($0) }
            state.update(.tick(viewerNanoseconds: MonotonicTime.now().rawValue))
            if condition(state) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The notice `effect` gave, if any.
    private func notice(_ source: inout DemoSource, _ effect: DashboardEffect) -> String? {
        var notice: String?
        source.perform(effect) { if case .notice(let text) = $0 { notice = text } }
        return notice
    }

    @Test func xCancelsTheSelectedWorkloadsGroupAndOnlyThatOne() async throws {
        var source = DemoSource(seed: 21, recording: nil)
        defer { source.finish() }
        var state = DashboardState(mode: .demo, size: TerminalSize(columns: 160, rows: 48))
        // A burst of 1,000 children: a top-level group that runs long enough to be cancelled.
        let started = try #require(notice(&source, .demo(.burst)))
        let name = String(started.dropFirst("started ".count))
        var burst: GroupID?
        let opened = await run(&source, into: &state) { state in
            burst = state.model.groups.values.first { $0.name == name }?.id
            return burst != nil && state.model.groups.values.contains { $0.id != burst && $0.closedAt == nil }
        }
        let group = try #require(burst, "the burst's group never showed (opened: \(opened))")

        // Select the burst's group as a user would, with the arrow keys, and press x.
        var effects: [DashboardEffect] = []
        for _ in 0..<state.treeRows.count where state.selectedTreeRow?.ref != .group(group) {
            state.update(.key(.down))
        }
        try #require(state.selectedTreeRow?.ref == .group(group), "the burst's row was not reached")
        let others = state.model.groups.values.filter { $0.id != group && $0.closedAt == nil && $0.attachedTo == nil }.map(\.id)
        effects = state.update(.key(.character("x")))
        #expect(effects == [.demo(.cancelGroup(group))])
        let said = try #require(notice(&source, effects[0]))
        #expect(said == "cancelling \(name) (\(group)) and every child in it")

        let closed = await run(&source, into: &state) { $0.model.groups[group]?.closedAt != nil }
        #expect(closed, "the cancelled burst never closed")
        #expect(state.model.groups[group]?.cancellation == .parentCancelled)
        // The runs that were in flight beside it were not cancelled.
        for other in others {
            #expect(state.model.groups[other]?.cancellation != .parentCancelled, "\(other) was cancelled too")
        }
    }

    @Test func xWithoutATopLevelGroupSaysWhatToSelect() async throws {
        var source = DemoSource(seed: 22, recording: nil)
        defer { source.finish() }
        #expect(notice(&source, .demo(.cancelGroup(nil))) == "select a group (or a task in it) to cancel it with x")
        let unknown = GroupID(987_654_321)
        #expect(notice(&source, .demo(.cancelGroup(unknown)))
                == "g987654321 is not a running workload's top-level group: only those can be cancelled from outside "
                + "(select a root group of the tree)")
    }
}
