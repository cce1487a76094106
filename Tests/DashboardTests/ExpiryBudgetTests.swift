@testable import Dashboard
import GroupEvents
import Testing

/// A live tick moves at most a budget of ended tasks out of the tree, so a burst of children
/// that ended together does not stall one frame when their linger passes; none is lost.
@Suite struct ExpiryBudgetTests {
    /// A model holding `count` tasks of one group that ended together at 1 s.
    /// (`ending: false`: their ends were lost; `closingTheGroup`: the group closes at 1 s too.)
    func burst(of count: Int, ending: Bool = true, closingTheGroup: Bool = false) -> StreamModel {
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
        for task in 1...UInt64(count) where ending {
            apply(.taskEnded(TaskEnded(task: TaskID(task), group: GroupID(1), status: .ok, durationNanoseconds: 5)), at: 1_000_000_000)
        }
        if closingTheGroup {
            apply(.groupClosed(GroupClosed(group: GroupID(1), outcome: .ok, faultCount: 0, childCount: count)), at: 1_000_000_000)
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
        // One more than 5,000 / 1,024: the compactions of the group's list count too.
        #expect(ticks == 6)
        #expect(model.history.count == 5_000)
        #expect(model.queuedForExpiry == 0)
    }

    /// A group's child list is compacted once half of it has left the tree: a check of every
    /// child. That work counts against the tick's budget (a move per
    /// `compactionChecksPerMove` children), so a burst that compacts many lists at once does
    /// not stall one frame; nothing is lost.
    @Test func aCompactionOfAGroupsListCountsAgainstTheTicksBudget() {
        var model = burst(of: 5_000)
        let due = MonotonicTime(nanoseconds: 1_000_000_000 + DashboardLimits.default.lingerNanoseconds)
        var moved: [Int] = []
        while model.tasks.count > 0 && moved.count < 100 {
            let before = model.tasks.count
            model.expire(at: due, budget: 1_024)
            moved.append(before - model.tasks.count)
        }
        // Ticks 1 and 2 leave 2,048 departed of 5,000 listed; tick 3's 452nd move makes it half,
        // and the check of 5,000 children counts as 5,000 / 16 moves: 1,024 - 452 - 312 more go.
        #expect(moved.prefix(3) == [1_024, 1_024, 712])
        #expect(moved.allSatisfy { $0 > 0 && $0 <= 1_024 })
        #expect(model.history.count == 5_000)
        #expect(model.queuedForExpiry == 0)
        #expect(model.groups[GroupID(1)]?.children.count ?? 0 < 64)
    }

    /// A closed group leaves the tree with its children: they leave within the tick's budget
    /// too (a group of 20,000 used to take all of them in one tick), and the group stays,
    /// first in its queue, until they have all gone.
    @Test func aClosedGroupsChildrenLeaveWithinTheBudget() {
        var model = burst(of: 20_000, closingTheGroup: true)
        let due = MonotonicTime(nanoseconds: 1_000_000_000 + DashboardLimits.default.lingerNanoseconds)
        model.expire(at: due, budget: 1_024)
        // The tasks' queue moves a sixteenth of itself (1,250); the group's removal at most 1,024 more.
        #expect(model.tasks.count >= 20_000 - 1_250 - 1_024)
        #expect(model.tasks.count < 20_000 - 1_250)
        #expect(model.groups[GroupID(1)] != nil)
        var ticks = 1
        while model.groups[GroupID(1)] != nil && ticks < 100 {
            model.expire(at: due, budget: 1_024)
            ticks += 1
        }
        #expect(model.groups[GroupID(1)] == nil)
        #expect(model.tasks.isEmpty)
        #expect(model.history.count == 20_000)
        // The tasks' queue still names the children the group took with it: the next tick drops them.
        model.expire(at: due, budget: 1_024)
        #expect(model.queuedForExpiry == 0)
        // Without a budget, a closed group and its children go at once.
        var unbudgeted = burst(of: 2_000, closingTheGroup: true)
        unbudgeted.expire(at: due)
        #expect(unbudgeted.groups.isEmpty && unbudgeted.tasks.isEmpty && unbudgeted.history.count == 2_000)
    }

    /// A closed group whose children never ended (their ends were lost) is emptied by its
    /// removal alone, a child a call at least, however small the budget.
    @Test func aClosedGroupLeavesEvenWithTheSmallestBudget() {
        var model = burst(of: 100, ending: false, closingTheGroup: true)
        let due = MonotonicTime(nanoseconds: 1_000_000_000 + DashboardLimits.default.lingerNanoseconds)
        var ticks = 0
        while model.groups[GroupID(1)] != nil && ticks < 1_000 {
            model.expire(at: due, budget: 1)
            ticks += 1
        }
        #expect(model.groups.count == 0)
        #expect(model.tasks.count == 0)
        #expect(ticks <= 101)
        #expect(model.counters.running == 0)
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
