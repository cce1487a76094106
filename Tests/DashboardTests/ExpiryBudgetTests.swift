@testable import Dashboard
import GroupEvents
import Testing

/// A live tick moves at most a budget of ended tasks out of the tree, so a burst of children
/// that ended together does not stall one frame when their linger passes; none is lost.
@Suite struct ExpiryBudgetTests {
    /// A model holding `count` tasks of one group that ended together at 1 s.
    func burst(of count: Int) -> StreamModel {
        var model = StreamModel(service: "burst", limits: DashboardLimits(maxTasks: 100_000, historySize: 100_000))
        var seq: UInt64 = 0
        func apply(_ kind: Event.Kind, at nanoseconds: UInt64) {
            seq += 1
            model.apply(Event(time: MonotonicTime(nanoseconds: nanoseconds), kind), seq: seq)
        }
        apply(.groupOpened(GroupOpened(group: GroupID(1), name: "g", site: SourceSite(file: "G.swift", line: 1), policy: .collectAll)), at: 1)
        for task in 1...UInt64(count) {
            apply(.taskSpawned(TaskSpawned(task: TaskID(task), group: GroupID(1), name: "t", site: SourceSite(file: "T.swift", line: 2))), at: 10)
            apply(.taskStarted(TaskStarted(task: TaskID(task), group: GroupID(1))), at: 10)
        }
        for task in 1...UInt64(count) {
            apply(.taskEnded(TaskEnded(task: TaskID(task), group: GroupID(1), status: .ok, durationNanoseconds: 5)), at: 1_000_000_000)
        }
        return model
    }

    @Test func aTickMovesAtMostItsBudgetAndTheTicksAfterItMoveTheRest() {
        var model = burst(of: 5_000)
        let due = MonotonicTime(nanoseconds: 1_000_000_000 + DashboardLimits.default.lingerNanoseconds)
        #expect(model.tasks.count == 5_000)
        model.expire(at: due, budget: 1_024)
        #expect(model.tasks.count == 5_000 - 1_024)
        #expect(model.history.count == 1_024)
        var ticks = 1
        while model.tasks.count > 0 && ticks < 100 {
            model.expire(at: due, budget: 1_024)
            ticks += 1
        }
        #expect(ticks == 5)
        #expect(model.history.count == 5_000)
        #expect(model.queuedForExpiry == 0)
    }

    /// A queue far above the budget drains by a sixteenth of itself a tick: a flow of ends
    /// faster than the budget never piles up in the tree.
    @Test func aLongQueueMovesASixteenthOfItselfATick() {
        var model = burst(of: 40_000)
        let due = MonotonicTime(nanoseconds: 1_000_000_000 + DashboardLimits.default.lingerNanoseconds)
        model.expire(at: due, budget: 1_024)
        #expect(model.tasks.count == 40_000 - 2_500)
        // Without a budget (a replay's seek, an event), everything due goes at once.
        model.expire(at: due)
        #expect(model.tasks.isEmpty)
        #expect(model.history.count == 40_000)
    }

    /// Nothing due, nothing moved: the budget only limits what the linger already let go.
    @Test func tasksStillLingeringStayWhateverTheBudget() {
        var model = burst(of: 2_000)
        model.expire(at: MonotonicTime(nanoseconds: 1_000_000_000 + DashboardLimits.default.lingerNanoseconds - 1), budget: 1_024)
        #expect(model.tasks.count == 2_000)
        #expect(model.history.count == 0)
    }
}
