@testable import Dashboard
import GroupEvents
import Testing
import TestSupport

/// Memory stays bounded whatever the stream does: counted in tracked items, not bytes or time.
@Suite struct MemoryBoundTests {
    /// One million events of a hostile mix: groups that never close, tasks that never end,
    /// faults, nested groups, ends of unknown tasks, drops; time moving 10 µs an event.
    func hostileStream(count: Int, seed: UInt64, apply: (WireRecord) -> Void) {
        var random = SplitMix64(seed: seed)
        apply(.header(WireHeader(service: "storm", pid: 1, epochUnixNanoseconds: 0)))
        var nextTask: UInt64 = 1
        var nextGroup: UInt64 = 1
        var openGroups: [UInt64] = []
        var liveTasks: [(UInt64, UInt64)] = []
        for seq in 1...UInt64(count) {
            let time = MonotonicTime(nanoseconds: seq * 10_000)
            let kind: Event.Kind
            switch random.next() % 100 {
            case 0..<4:
                let parent = liveTasks.isEmpty ? nil : liveTasks[Int(random.next() % UInt64(liveTasks.count))]
                kind = .groupOpened(GroupOpened(group: GroupID(nextGroup), name: "group-\(nextGroup)", parentTask: parent.map { TaskID($0.0) },
                                                parentGroup: parent.map { GroupID($0.1) }, site: SourceSite(file: "G.swift", line: 1),
                                                policy: .collectAll))
                openGroups.append(nextGroup)
                nextGroup += 1
            case 4..<6 where !openGroups.isEmpty:
                let group = openGroups.remove(at: Int(random.next() % UInt64(openGroups.count)))
                kind = .groupClosed(GroupClosed(group: GroupID(group), outcome: .ok, faultCount: 0, childCount: 1))
            case 6..<50:
                let group = openGroups.isEmpty ? nextGroup + 1_000_000 : openGroups[Int(random.next() % UInt64(openGroups.count))]
                kind = .taskSpawned(TaskSpawned(task: TaskID(nextTask), group: GroupID(group), name: "task-\(nextTask)",
                                                site: SourceSite(file: "T.swift", line: 2)))
                if liveTasks.count < 100_000 { liveTasks.append((nextTask, group)) }
                nextTask += 1
            case 50..<60 where !liveTasks.isEmpty:
                let (task, group) = liveTasks[Int(random.next() % UInt64(liveTasks.count))]
                kind = .taskStarted(TaskStarted(task: TaskID(task), group: GroupID(group)))
            case 60..<90 where !liveTasks.isEmpty:
                // Ends a task; one in three tasks is leaked instead (never ends).
                let index = Int(random.next() % UInt64(liveTasks.count))
                let (task, group) = liveTasks.remove(at: index)
                kind = .taskEnded(TaskEnded(task: TaskID(task), group: GroupID(group), status: task % 7 == 0 ? .failed : .ok,
                                            durationNanoseconds: 1_000))
            case 90..<96:
                kind = .faultRecorded(FaultInfo(task: TaskID(random.next() % nextTask), taskName: "x", group: GroupID(1), groupName: "g",
                                                site: SourceSite(file: "F.swift", line: 3), kind: .error, errorType: "E",
                                                message: String(repeating: "m", count: 100), startedAt: time, endedAt: time,
                                                stack: Array(repeating: StackFrame(symbol: "s"), count: 40)))
            case 96..<98:
                kind = .taskEnded(TaskEnded(task: TaskID(random.next()), group: GroupID(random.next()), status: .cancelled,
                                            durationNanoseconds: 1))
            default:
                kind = .dropped(Dropped(count: 1))
            }
            apply(.event(seq: seq, Event(time: time, kind)))
        }
    }

    func checkBounds(_ model: StreamModel, _ limits: DashboardLimits) {
        #expect(model.tasks.count <= limits.maxTasks)
        #expect(model.groups.count <= limits.maxGroups)
        #expect(model.faults.count <= limits.maxFaults)
        #expect(model.history.count <= limits.historySize)
        #expect(model.queuedForExpiry <= 2 * (limits.maxTasks + limits.maxGroups) + 2)
        for task in model.tasks.values { #expect(task.childGroups.count <= limits.maxGroups) }
        let listed = model.groups.values.reduce(0) { $0 + $1.children.count }
        #expect(listed <= 2 * limits.maxTasks + 64 * model.groups.count)
        #expect(model.counters.running >= 0 && model.counters.waiting >= 0)
        #expect(model.counters.running + model.counters.waiting == model.tasks.values.filter { !$0.phase.hasEnded }.count)
    }

    @Test func smallCapsHoldUnderAMillionEvents() {
        let limits = DashboardLimits(maxTasks: 2_000, maxGroups: 300, maxFaults: 50, historySize: 500, lingerNanoseconds: 50_000_000)
        var model = StreamModel(limits: limits)
        var events = 0
        hostileStream(count: 1_000_000, seed: 7) { record in
            guard case .event(let seq, let event) = record else { return }
            model.apply(event, seq: seq)
            events += 1
            if events % 1_000 == 0 {
                model.expire(at: event.time)
                checkBounds(model, limits)
            }
        }
        checkBounds(model, limits)
        #expect(model.untrackedTasks > 0)  // leaked tasks filled the tree, and the rest were counted
        #expect(model.faults.evicted > 0)
        #expect(model.history.count == limits.historySize)
    }

    @Test func theDefaultCapsHoldThroughTheReducer() {
        let limits = DashboardLimits.default
        var state = DashboardState(mode: .replay, size: TerminalSize(columns: 160, rows: 48), limits: limits)
        var batch: [WireRecord] = []
        batch.reserveCapacity(100_000)
        hostileStream(count: 1_000_000, seed: 11) { record in
            batch.append(record)
            if batch.count == 100_000 {
                state.update(.records(batch))
                batch.removeAll(keepingCapacity: true)
            }
        }
        state.update(.records(batch))
        state.update(.tick(viewerNanoseconds: 1))
        checkBounds(state.model, limits)
        #expect(state.model.counters.events == 1_000_000)
        #expect(state.treeRows.count <= limits.maxTasks + limits.maxGroups)
        #expect(state.model.dropped > 0)
        _ = render(state, size: state.size)
    }

    @Test func aDeepChainOfNestedGroupsDoesNotRecurseWithoutBound() {
        var s = StreamBuilder()
        s.header()
        s.open(1, "root", at: 0)
        for level in UInt64(1)...500 {
            s.spawn(level, in: level, "t\(level)", at: level)
            s.open(level + 1, "g\(level + 1)", at: level, parentTask: level, parentGroup: level)
        }
        var state = DashboardState(mode: .live, size: TerminalSize(columns: 80, rows: 24))
        state.update(.records(s.records))
        state.refreshRows()
        #expect(state.treeRows.count == 1_001)
        #expect(state.treeRows.map(\.depth).max()! <= TreeIndex.maxDepth)
    }

    @Test func aGroupReopenedInsideItsOwnTaskCannotMakeACycle() {
        var s = StreamBuilder()
        s.header()
        s.open(1, "g", at: 0)
        s.spawn(1, in: 1, "t", at: 1)
        s.open(1, "g again", at: 2, parentTask: 1, parentGroup: 1)
        var state = DashboardState(mode: .live, size: TerminalSize(columns: 80, rows: 24))
        state.update(.records(s.records))
        state.refreshRows()
        #expect(state.rowLabels == ["g1", " t1"])
        #expect(state.model.groups[GroupID(1)]?.name == "g again")
    }
}
