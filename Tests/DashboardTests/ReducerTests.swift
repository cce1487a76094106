@testable import Dashboard
import GroupEvents
import Testing

/// The reducer: events build the tree, time moves ended tasks to history, keys change the
/// view and ask for effects.
@Suite struct ReducerTests {
    let size = TerminalSize(columns: 80, rows: 24)

    @Test func eventsBuildTheTreeWithNestedGroupsUnderTheirTask() {
        let state = checkoutState(size: size)
        #expect(state.rowLabels == ["g1", " t11", " t12", " t13", "  g2", "   t21", "   t22", " t14", "g3", " t31", " t32", " t33"])
        let counters = state.model.counters
        #expect(counters.running == 4)  // t13, t21, t32, t33
        #expect(counters.waiting == 1)  // t22
        #expect((counters.ok, counters.failed, counters.timedOut, counters.cancelled) == (1, 1, 1, 1))
        let checkout = state.model.groups[GroupID(1)]!
        #expect((checkout.childCount, checkout.running, checkout.faults) == (4, 1, 1))
        #expect(state.model.tasks[TaskID(12)]?.faultNumber == 0)
        #expect(state.model.groups[GroupID(2)]?.attachedTo == TaskID(13))
    }

    /// Records update the model at once but leave the rows to the next frame: a loader feeding
    /// a recording in batches must not rebuild the tree per batch.
    @Test func recordsLeaveTheRowsStaleUntilTheNextTick() {
        var state = DashboardState(mode: .live, size: size)
        state.update(.records(checkoutScenario().records))
        #expect(state.model.tasks.count == 9)
        #expect(state.rowsAreStale)
        #expect(state.treeRows.isEmpty)  // not rebuilt by the records
        #expect(state.faultRows.isEmpty)
        state.update(.tick(viewerNanoseconds: 500_000_000))
        #expect(!state.rowsAreStale)
        // The same rows as a state that rebuilt them after every record.
        #expect(state.rowLabels == checkoutState(size: size).rowLabels)
        #expect(state.faultRows == [1, 0])
        // Other messages that precede no frame leave them alone too.
        var more = StreamBuilder()
        more.seq = 100
        more.spawn(15, in: 1, "late", at: 3_600)
        state.update(.records(more.records))
        state.update(.connection(.connected))
        state.update(.notice("hello"))
        #expect(state.rowsAreStale && !state.rowLabels.contains(" t15"))
        state.update(.resize(size))
        #expect(!state.rowsAreStale && state.rowLabels.contains(" t15"))
    }

    /// Moving the selection (arrows, pages, home/end, Tab) builds no rows; it still scrolls.
    @Test func movingTheSelectionDoesNotRebuildTheRows() {
        var state = checkoutState(size: size)
        let builds = state.rowBuilds
        state.press(.down, .down, .up, .pageDown, .end)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(33)))
        #expect(state.view.treeScroll > 0, "the end of the tree is out of view")
        state.press(.home, .tab, .down, .tab, .character("?"), .escape)
        #expect(state.selectedTreeRow?.ref == .group(GroupID(1)))
        #expect(state.view.treeScroll == 0)
        #expect(state.selectedFault?.number == 0)
        #expect(state.rowBuilds == builds)
        // What changes the rows rebuilds them: the filter, as it is typed.
        state.press(.character("/"))
        state.type("sync")
        #expect(state.rowBuilds > builds)
        #expect(state.rowLabels == ["g3", " t31", " t32", " t33"])
    }

    /// A key acts on the rows as they are now, not as the last frame left them.
    @Test func aKeyAfterRecordsMovesOverTheCurrentRows() {
        var state = DashboardState(mode: .live, size: size)
        state.update(.tick(viewerNanoseconds: 0))
        state.update(.records(checkoutScenario().records))
        state.press(.end)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(33)))
    }

    @Test func endedTasksLingerThenMoveToHistory() {
        var state = checkoutState(size: size)
        // t11 ended at 1.040 s: visible until 6.040 s of stream time. Now is 4.0 s.
        #expect(state.model.tasks[TaskID(11)] != nil)
        state.update(.tick(viewerNanoseconds: 2_500_000_000))  // now = 3.5 + 2.5 = 6.0 s
        #expect(state.model.tasks[TaskID(11)] != nil)
        state.update(.tick(viewerNanoseconds: 2_600_000_000))  // 6.1 s
        #expect(state.model.tasks[TaskID(11)] == nil)
        #expect(!state.rowLabels.contains(" t11"))
        #expect(state.model.history.newestFirst.map(\.id) == [TaskID(11)])
        state.update(.tick(viewerNanoseconds: 3_000_000_000))  // 6.5 s: t12, t14 too
        #expect(state.model.history.newestFirst.map(\.id) == [TaskID(14), TaskID(12), TaskID(11)])
        #expect(state.model.history[number: 2]?.status == .cancelled)
        // Live counters are unchanged by the move.
        #expect(state.model.counters.running == 4)
        #expect(state.model.groups[GroupID(1)]?.childCount == 4)
        // `h` shows the history, newest first.
        state.press(.character("h"))
        #expect(state.rowLabels == ["h2", "h1", "h0"])
    }

    @Test func closedGroupsLeaveTheTreeAfterTheirLinger() {
        var s = StreamBuilder()
        s.header()
        s.open(1, "short", at: 0)
        s.spawn(1, in: 1, "a", at: 1)
        s.start(1, in: 1, at: 1)
        s.end(1, in: 1, .ok, at: 10, duration: 9)
        s.close(1, .ok, at: 11, children: 1)
        var state = DashboardState(mode: .live, size: size)
        state.feed(s)
        state.update(.replayPosition(ReplayPosition(time: StreamBuilder.ms(5_010), start: .init(nanoseconds: 0), end: StreamBuilder.ms(9_000))))
        #expect(state.rowLabels == ["g1"])  // the task left at 5.010 s
        state.update(.replayPosition(ReplayPosition(time: StreamBuilder.ms(5_011), start: .init(nanoseconds: 0), end: StreamBuilder.ms(9_000))))
        #expect(state.rowLabels.isEmpty)
        #expect(state.model.groups.isEmpty)
    }

    @Test func faultsAreBoundedAndEvictionsCounted() {
        var state = DashboardState(mode: .live, size: size, limits: DashboardLimits(maxFaults: 3))
        var s = StreamBuilder()
        s.header()
        s.open(1, "g", at: 0)
        for task in UInt64(1)...5 {
            s.spawn(task, in: 1, "t\(task)", at: task)
            s.fault(task, "t\(task)", in: 1, "g", started: task, at: 10 + task)
        }
        state.feed(s)
        #expect(state.model.faults.count == 3)
        #expect(state.model.faults.evicted == 2)
        #expect(state.faultRows == [4, 3, 2])  // newest first
        #expect(state.model.tasks[TaskID(1)]?.faultNumber == 0)
        #expect(state.model.faults[number: 0] == nil)
        let screen = render(state, size: size)
        #expect(screen.text.contains("Faults ─ 5 · 2 evicted"))
    }

    @Test func theFilterAppliesAsYouTypeAndEscClearsIt() {
        var state = checkoutState(size: size)
        state.press(.character("/"))
        #expect(state.view.isEditingFilter)
        state.type("ch")
        // "ch" matches checkout-request, so its whole subtree shows (the nested g2 too); nothing in g3 matches.
        #expect(state.rowLabels == ["g1", " t11", " t12", " t13", "  g2", "   t21", "   t22", " t14"])
        state.type("arge")
        #expect(state.rowLabels == ["g1", " t12"])
        state.press(.escape)
        #expect(state.view.filter.isEmpty && !state.view.isEditingFilter)
        #expect(state.rowLabels.count == 12)
    }

    @Test func theFilterMatchesStatusesAndKeepsNestingContext() {
        var state = checkoutState(size: size)
        state.press(.character("/"))
        state.type("WAITING")
        // t22 waits inside g2, which hangs under t13 in g1: both are kept for context.
        #expect(state.rowLabels == ["g1", " t13", "  g2", "   t22"])
        state.press(.enter)
        #expect(!state.view.isEditingFilter && state.view.filter == "WAITING")
        state.press(.backspace)  // not editing: Backspace does nothing
        #expect(state.view.filter == "WAITING")
        state.press(.escape)
        #expect(state.view.filter.isEmpty)
    }

    @Test func pauseFreezesTheViewButCountersStillCount() {
        var state = checkoutState(size: size)
        state.press(.character("p"))
        #expect(state.view.isPaused)
        var more = StreamBuilder()
        more.seq = 100
        more.spawn(15, in: 1, "late-task", at: 3_600)
        more.start(15, in: 1, at: 3_601)
        state.feed(more, tickAt: 1)
        #expect(state.model.counters.running == 5)  // the live model moved on
        #expect(state.displayed.tasks[TaskID(15)] == nil)  // the view did not
        #expect(!state.rowLabels.contains(" t15"))
        let screen = render(state, size: size)
        #expect(screen.line(0).contains("PAUSED"))
        #expect(screen.line(1).contains("● 5 running"))
        state.press(.character("p"))
        #expect(!state.view.isPaused)
        #expect(state.rowLabels.contains(" t15"))
    }

    @Test func followSelectsTheNewestTaskAndMovingStopsIt() {
        var state = checkoutState(size: size)
        state.press(.character("f"))
        #expect(state.view.follows)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(33)))
        var more = StreamBuilder()
        more.seq = 100
        more.spawn(15, in: 1, "late-task", at: 3_600)
        state.feed(more)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(15)))
        state.press(.up)
        #expect(!state.view.follows)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(14)))
    }

    @Test func theSelectionStaysOnItsRowAsRowsArrive() {
        var state = checkoutState(size: size)
        state.press(.character("s"), .character("s"), .character("s"))  // by name
        state.press(.down)  // charge-card, the first child by name
        #expect(state.selectedTreeRow?.ref == .task(TaskID(12)))
        let cursor = state.view.treeCursor
        var more = StreamBuilder()
        more.seq = 100
        more.spawn(15, in: 1, "aaa-first-by-name", at: 3_600)
        state.feed(more)
        #expect(state.view.treeCursor == cursor + 1)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(12)))
    }

    @Test func sortCyclesThroughEveryOrder() {
        var state = checkoutState(size: size)
        #expect(state.view.sort == .spawnOrder)
        state.press(.character("s"))
        #expect(state.view.sort == .duration)
        // g3 by duration: t31 ran 2 s; t32 runs since 1.302 s (2.7 s at 4.0 s); t33 since 3.303 s.
        #expect(Array(state.rowLabels.suffix(3)) == [" t32", " t31", " t33"])
        state.press(.character("s"))
        #expect(state.view.sort == .status)
        // g1: failed, running, cancelled, ok.
        #expect(Array(state.rowLabels.prefix(3)) == ["g1", " t12", " t13"])
        #expect(state.rowLabels[5...7] == ["   t22", " t14", " t11"])
        state.press(.character("s"))
        #expect(state.view.sort == .name)
        #expect(Array(state.rowLabels.prefix(2)) == ["g1", " t12"])  // charge-card first
        state.press(.character("s"))
        #expect(state.view.sort == .spawnOrder)
    }

    @Test func enterCollapsesAndExpandsAGroup() {
        var state = checkoutState(size: size)
        state.press(.enter)  // on g1
        #expect(state.rowLabels == ["g1", "g3", " t31", " t32", " t33"])
        #expect(state.selectedTreeRow?.ref == .group(GroupID(1)))
        state.press(.enter)
        #expect(state.rowLabels.count == 12)
        state.press(.down, .left)  // on t11: collapses its group, selection moves to the group
        #expect(state.rowLabels.count == 5)
        #expect(state.selectedTreeRow?.ref == .group(GroupID(1)))
        state.press(.right)
        #expect(state.rowLabels.count == 12)
    }

    @Test func tabSwitchesPanesAndEnterOnAFaultShowsItsTask() {
        var state = checkoutState(size: size)
        state.press(.tab)
        #expect(state.view.pane == .faults)
        #expect(state.faultRows == [1, 0])
        #expect(state.selectedFault?.taskName == "sync 注文 orders")  // the newest, until the user picks one
        state.press(.down)
        #expect(state.selectedFault?.taskName == "charge-card")
        state.press(.enter)
        #expect(state.view.pane == .tree)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(12)))
    }

    @Test func helpTogglesAndAnyKeyClosesIt() {
        var state = checkoutState(size: size)
        #expect(state.press(.character("?")).isEmpty)
        #expect(state.view.showsHelp)
        state.press(.character("j"))
        #expect(!state.view.showsHelp)
        #expect(state.selectedTreeRow?.ref == .group(GroupID(1)))  // the key only closed the overlay
        state.press(.character("?"))
        #expect(state.press(.character("q")) == [.quit])
    }

    @Test func qAsksToQuitButIsTextInTheFilter() {
        var state = checkoutState(size: size)
        #expect(state.press(.character("q")) == [.quit])
        state.press(.character("/"))
        #expect(state.press(.character("q")).isEmpty)
        #expect(state.view.filter == "q")
    }

    @Test func replayKeysBecomeReplayEffects() {
        var state = checkoutState(mode: .replay, size: size)
        let keys: [(Key, ReplayAction)] = [
            (.character(" "), .togglePlay), (.character("+"), .faster), (.character("-"), .slower),
            (.left, .seek(seconds: -10)), (.right, .seek(seconds: 10)), (.character("n"), .nextFault),
            (.character("N"), .previousFault), (.character("["), .step(-1)), (.character("]"), .step(1)),
            (.character("g"), .toStart), (.character("G"), .toEnd),
        ]
        for (key, command) in keys {
            #expect(state.press(key) == [.replay(command)], "\(key)")
        }
        // In live mode the same keys are navigation, never replay commands.
        var live = checkoutState(mode: .live, size: size)
        #expect(live.press(.character(" "), .left, .character("G")).isEmpty)
        #expect(live.selectedTreeRow?.ref == .task(TaskID(33)))
    }

    @Test func demoKeysBecomeDemoEffectsWithTheSelectedGroup() {
        var state = checkoutState(mode: .demo, size: size)
        #expect(state.press(.character("e")) == [.demo(.injectError)])
        #expect(state.press(.character("t")) == [.demo(.injectTimeout)])
        #expect(state.press(.character("c")) == [.demo(.injectCrash)])
        #expect(state.press(.character("b")) == [.demo(.burst)])
        state.press(.end)  // t33 in g3
        #expect(state.press(.character("x")) == [.demo(.cancelGroup(GroupID(3)))])
    }

    @Test func droppedEventsAreShownWhenThereAreAny() {
        var state = DashboardState(mode: .live, size: size)
        var s = StreamBuilder()
        s.header()
        s.heartbeat(at: 1_000)
        state.feed(s)
        #expect(!render(state, size: size).text.contains("dropped"))
        var more = StreamBuilder()
        more.seq = 5
        more.dropped(17, at: 1_100)
        more.dropped(3, at: 1_200)
        state.feed(more)
        #expect(state.model.dropped == 20)
        // Even on the narrowest usable screen with a long service name, it stays in view.
        for columns in [60, 80, 160] {
            #expect(render(state, size: TerminalSize(columns: columns, rows: 24)).line(0).contains("dropped 20"))
        }
    }

    @Test func droppedFaultsAreShownApartFromRoutineDrops() {
        var state = DashboardState(mode: .live, size: size)
        var s = StreamBuilder()
        s.header()
        s.dropped(17, at: 1_100)
        s.dropped(3, faults: 2, at: 1_200)
        state.feed(s)
        #expect(state.model.dropped == 20)
        #expect(state.model.droppedFaults == 2)
        for columns in [60, 80, 160] {
            #expect(render(state, size: TerminalSize(columns: columns, rows: 24)).line(0).contains("dropped 20, 2 faults"))
        }
    }

    @Test func skippedLinesAreCountedFromDiagnosticsAndDecoderCounters() {
        var state = DashboardState(mode: .replay, size: size)
        state.update(.record(.diagnostic(WireDiagnostic(line: 3, kind: .malformed(reason: "x")))))
        state.update(.record(.diagnostic(WireDiagnostic(line: 1, kind: .missingHeader))))
        #expect(state.skippedLines == 1)
        var counters = WireDecoder.Counters()
        counters.overLong = 2
        counters.torn = 1
        counters.malformed = 1
        state.update(.decoderCounters(counters))
        #expect(state.skippedLines == 4)
        #expect(render(state, size: size).line(0).contains("skipped 4 lines"))
    }

    @Test func aSnapshotWithSeqGapsThenTheLiveStreamIsConsistent() {
        // What a late viewer receives: the open group, the live tasks and a recent fault with
        // their original seq (gaps where the over events were), then the live stream.
        var s = StreamBuilder()
        s.header()
        s.open(5, "worker-pool", at: 100, seq: 7)
        s.spawn(51, in: 5, "job-a", at: 200, seq: 12)
        s.start(51, in: 5, at: 201, seq: 13)
        s.fault(49, "job-old", in: 5, "worker-pool", started: 150, at: 180, seq: 30)
        s.spawn(52, in: 5, "job-b", at: 400, seq: 41)  // waiting for a slot
        s.spawn(60, in: 6, "orphan", at: 450, seq: 44)  // its group opened before the monitor tracked it
        s.start(60, in: 6, at: 451, seq: 45)
        // The live stream.
        s.start(52, in: 5, at: 500, seq: 46)
        s.end(51, in: 5, .ok, at: 510, duration: 309)
        s.end(60, in: 6, .failed, at: 520, duration: 69)
        var state = DashboardState(mode: .live, size: size)
        state.feed(s, tickAt: 0)
        #expect(state.model.dropped == 0)  // gaps are not losses
        #expect(state.model.lastSeq == 48)
        #expect(state.model.counters.running == 1 && state.model.counters.waiting == 0)
        #expect((state.model.counters.ok, state.model.counters.failed) == (1, 1))
        let tracked = state.model.tasks.values
        #expect(tracked.filter { $0.phase == .running }.count == state.model.counters.running)
        #expect(state.model.faults.count == 1)  // the recent fault of a task no longer live
        #expect(state.model.groups[GroupID(6)]?.isPlaceholder == true)
        #expect(state.rowLabels == ["g5", " t51", " t52", "g6", " t60"])
        for group in state.model.groups.values {
            let live = tracked.filter { $0.group == group.id }
            #expect(group.running == live.filter { $0.phase == .running }.count)
            #expect(group.waiting == live.filter { $0.phase == .waiting }.count)
        }
    }

    @Test func aHeaderStartsANewSessionAndKeepsTheViewChoices() {
        var state = checkoutState(size: size)
        state.press(.character("s"))
        var next = StreamBuilder()
        next.header(service: "checkout", pid: 5151)
        next.open(1, "after-restart", at: 10)
        state.feed(next)
        #expect(state.sessions == 2)
        #expect(state.model.pid == 5151)
        var fresh = StatusCounters()
        fresh.events = 1
        #expect(state.model.counters == fresh)
        #expect(state.rowLabels == ["g1"])
        #expect(state.view.sort == .duration)
    }

    @Test func ticksKeepRunningDurationsLiveAndAStoppedSourceStopsTheClock() {
        var state = checkoutState(size: size)
        let t13 = TaskID(13)
        #expect(state.model.tasks[t13]?.duration(at: state.now) == 2_997_000_000)  // 4.0 s - 1.003 s
        state.update(.tick(viewerNanoseconds: 1_500_000_000))
        #expect(state.model.tasks[t13]?.duration(at: state.now) == 3_997_000_000)
        state.update(.connection(.ended))
        state.update(.tick(viewerNanoseconds: 9_000_000_000))
        #expect(state.now == StreamBuilder.ms(3_500))  // the last event: nothing is running on for real
    }

    @Test func connectionStatesAreShownInTheHeader() {
        var state = checkoutState(size: size)
        let cases: [(ConnectionState, String)] = [
            (.connected, "● connected"), (.reconnecting(inSeconds: 4), "reconnecting in 4 s"),
            (.ended, "service ended"), (.crashed(reason: "SIGSEGV in t12"), "SERVICE CRASHED: SIGSEGV in t12"),
        ]
        for (connection, text) in cases {
            state.update(.connection(connection))
            #expect(render(state, size: TerminalSize(columns: 160, rows: 48)).line(0).contains(text))
        }
    }

    @Test func aNoticeShowsUntilTheNextKey() {
        var state = checkoutState(mode: .demo, size: size)
        state.update(.notice("crash injection is not available yet"))
        #expect(render(state, size: size).line(23).contains("crash injection is not available yet"))
        state.press(.down)
        #expect(!render(state, size: size).line(23).contains("crash injection"))
    }
}
