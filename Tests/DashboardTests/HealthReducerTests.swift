@testable import Dashboard
import GroupEvents
import GroupHealth
import Testing

/// The checkout scenario 2 s after its last event: the statistics' summaries are those of the
/// last evaluation (once a second of stream time), which has then seen every event.
func checkoutHealthState(size: TerminalSize) -> DashboardState {
    var state = checkoutState(size: size)
    state.update(.tick(viewerNanoseconds: 2_000_000_000))
    return state
}

/// The sites view, the warnings view and their keys, over the reducer.
@Suite struct HealthReducerTests {
    static let size = TerminalSize(columns: 160, rows: 48)

    @Test func theSitesViewHasARowPerSpawnSiteSortedByEachColumn() {
        var state = checkoutHealthState(size: Self.size)
        state.press(.character("2"))
        #expect(state.view.tab == .sites)
        // Sorted by fault rate over the last minute first: :20 (1 timeout in 1 end) and :57 (1 failure in 1).
        #expect(state.siteRows.map(\.site).prefix(2) == ["Checkout/Handler.swift:20", "Checkout/Handler.swift:57"])
        #expect(Set(state.siteRows.map(\.site)) == Set([20, 51, 57, 63, 70, 84, 85].map { "Checkout/Handler.swift:\($0)" }))
        let syncSite = state.siteRows[0]
        #expect((syncSite.started, syncSite.running, syncSite.timedOut) == (3, 2, 1))
        // `s` steps through every column; each orders the rows by its value.
        var seen: [SiteColumn] = []
        for _ in SiteColumn.allCases {
            state.press(.character("s"))
            seen.append(state.view.siteSort)
            let values = state.siteRows.map { state.view.siteSort.value(of: $0) }
            if state.view.siteSort == .site {
                #expect(state.siteRows.map(\.site) == state.siteRows.map(\.site).sorted())
            } else {
                #expect(values == values.sorted(by: >), "\(state.view.siteSort)")
            }
        }
        #expect(Set(seen) == Set(SiteColumn.allCases))
        // `r` reverses.
        let forward = state.siteRows.map(\.site)
        state.press(.character("r"))
        #expect(state.siteRows.map(\.site) == forward.reversed())
    }

    /// A record keeps its child's slot in the statistics in the padding after `isolated`, so
    /// turning the statistics on makes no record larger (an optional child made each 24 bytes
    /// larger, and the reducer copies and moves records as its table grows).
    @Test func theStatisticsSlotSitsInARecordsPadding() {
        let isolated = MemoryLayout<TaskRecord>.offset(of: \TaskRecord.isolated)!
        let slot = MemoryLayout<TaskRecord>.offset(of: \TaskRecord.healthSlot)!
        let spawnedAt = MemoryLayout<TaskRecord>.offset(of: \TaskRecord.spawnedAt)!
        #expect(isolated + MemoryLayout<Bool>.size <= slot)
        #expect(slot + MemoryLayout<Int32>.size <= spawnedAt)
        // `spawnedAt` is where it would be without the slot: the next 8-byte boundary after `isolated`.
        #expect(spawnedAt == (isolated + MemoryLayout<Bool>.size + 7) / 8 * 8)
        // The reducer's records carry the child while it is live and drop it at its end, and
        // the statistics saw each start and end through them: per site, the live records the
        // tree holds are the ones the statistics count.
        let state = checkoutHealthState(size: Self.size)
        let live = state.model.tasks.values.filter { !$0.phase.hasEnded }
        let ended = state.model.tasks.values.filter { $0.phase.hasEnded }
        #expect(!live.isEmpty && live.allSatisfy { $0.health != nil })
        #expect(!ended.isEmpty && ended.allSatisfy { $0.healthSlot == -1 })
        let sites = state.model.health?.sites ?? []
        #expect(!sites.isEmpty)
        for site in sites {
            let records = state.model.tasks.values.filter { $0.site == site.site }
            #expect(site.running == records.filter { $0.phase == .running }.count, "\(site.site)")
            #expect(site.waiting == records.filter { $0.phase == .waiting }.count, "\(site.site)")
            #expect(site.ok == records.filter { $0.phase == .ended(.ok) }.count, "\(site.site)")
        }
    }

    @Test func enterOnASiteFiltersTheTreeAndTheFaultsUntilEscape() {
        var state = checkoutHealthState(size: Self.size)
        state.press(.character("2"))
        // The second row is charge-card's site, :57.
        state.press(.down, .enter)
        #expect(state.view.tab == .tree)
        #expect(state.view.siteFilter == "Checkout/Handler.swift:57")
        #expect(state.rowLabels == ["g1", " t12"])
        #expect(state.faultRows.map { state.displayed.faults[number: $0]?.taskName } == ["charge-card"])
        state.press(.escape)
        #expect(state.view.siteFilter == nil)
        #expect(state.faultRows.count == 2)
        #expect(state.rowLabels.count == 12)
    }

    /// A child that runs past the stuck threshold: no warning until the condition has held
    /// for the hold time; then the header counts it, the tree marks the task, the list has it.
    @Test func aStuckChildIsCountedMarkedAndListedOnceTheConditionHeld() {
        var state = DashboardState(mode: .live, size: Self.size)
        state.update(.connection(.connected))
        state.update(.tick(viewerNanoseconds: 0))
        var stream = StreamBuilder()
        stream.header()
        stream.open(1, "poller", at: 0)
        stream.spawn(7, in: 1, "poll-upstream", at: 0)
        stream.start(7, in: 1, at: 0)
        state.feed(stream)
        var seconds: [Int: Int] = [:]
        for second in stride(from: 1, through: 70, by: 1) {
            var beat = StreamBuilder()
            beat.seq = UInt64(10 + second)
            beat.heartbeat(at: UInt64(second) * 1_000)
            for record in beat.records { state.update(.record(record)) }
            state.update(.tick(viewerNanoseconds: UInt64(second) * 1_000_000_000))
            // The stream's "now" (see StreamClock): the keys are stream seconds.
            seconds[Int(state.now.rawValue / 1_000_000_000)] = state.warningRows.count
        }
        // Over 60 s from 60 s on; held for 5 s at 65 s.
        #expect(seconds[64] == 0)
        #expect(seconds[65] == 1)
        #expect(state.warningRows.first?.firedAt == MonotonicTime(nanoseconds: 65_000_000_000))
        let screen = render(state, size: Self.size).text
        #expect(screen.contains("⚠ 1 warning"))
        #expect(screen.contains("⚠ stuck"))
        state.press(.character("3"))
        let list = render(state, size: Self.size).text
        #expect(list.contains("poll-upstream (t7)"))
        #expect(list.contains("─ Warnings ─ 1 active · 1 stuck"))
        state.press(.enter)
        #expect(state.view.tab == .tree)
        #expect(state.selectedTreeRow?.ref == .task(TaskID(7)))
    }

    @Test func withStatisticsOffTheModelKeepsNone() {
        var state = DashboardState(mode: .live, size: Self.size, limits: DashboardLimits(health: nil))
        state.feed(checkoutScenario())
        #expect(state.model.health == nil)
        state.press(.character("2"))
        #expect(state.siteRows.isEmpty)
        #expect(render(state, size: Self.size).text.contains("statistics are off"))
    }

    @Test func onlyTheChosenWarningsRunInTheDashboard() {
        var configuration = HealthConfiguration()
        configuration.enabled = [.queueing]
        var state = DashboardState(mode: .live, size: Self.size, limits: DashboardLimits(health: configuration))
        state.feed(checkoutScenario())
        #expect(state.model.health?.configuration.enabled == [.queueing])
    }
}

/// `x` asks for `y`; only `y` asks the run loop to send the cancel; the answer in the stream
/// becomes the footer's notice.
@Suite struct CancelKeyTests {
    static let size = TerminalSize(columns: 160, rows: 48)

    private func state(acceptsActions: Bool, mode: DashboardMode = .live) -> DashboardState {
        var state = DashboardState(mode: mode, size: Self.size)
        state.update(.connection(.connected))
        var stream = StreamBuilder()
        stream.records.append(.header(WireHeader(service: "svc", pid: 7, epochUnixNanoseconds: 0, actions: acceptsActions)))
        stream.open(1, "jobs", at: 0)
        stream.spawn(5, in: 1, "long job", at: 0)
        stream.start(5, in: 1, at: 0)
        state.feed(stream)
        return state
    }

    @Test func xAsksForYAndOnlyYSendsTheCancel() {
        var state = state(acceptsActions: true)
        #expect(state.press(.down, .character("x")).isEmpty)
        #expect(state.view.pendingCancel == PendingCancel(target: .task(TaskID(5)), label: "t5 'long job'"))
        #expect(render(state, size: Self.size).text.contains("cancel t5 'long job'?  y confirm"))
        #expect(state.press(.character("n")).isEmpty)
        #expect(state.notice == "not cancelled")
        #expect(state.press(.character("x"), .character("y")) == [.cancel(.task(TaskID(5)))])
        // On the group row it names every child of the group.
        state.press(.up, .character("x"))
        #expect(state.view.pendingCancel?.target == .group(GroupID(1)))
        // The service's answer, from the stream.
        state.update(.record(.event(seq: 10, Event(time: StreamBuilder.ms(5), .viewerAction(ViewerAction(
            viewer: 4711, request: 1, action: "cancel", target: .task(TaskID(5)), result: .cancelled))))))
        #expect(state.notice == "viewer 4711 cancelled t5 (long job)")
    }

    @Test func xSaysWhyWhenTheServiceHasActionsOffOrThisIsAReplay() {
        var off = state(acceptsActions: false)
        #expect(off.press(.down, .character("x")).isEmpty)
        #expect(off.view.pendingCancel == nil)
        #expect(off.notice == "x: actions are off in this service (it must set MonitorConfiguration.actions; docs/MONITOR.md)")
        var replay = state(acceptsActions: true, mode: .replay)
        replay.press(.character("x"))
        #expect(replay.notice?.hasPrefix("x: actions need a live service") == true)
        var nothing = state(acceptsActions: true)
        nothing.press(.character("2"), .character("x"))
        #expect(nothing.notice == "x: select a running task or an open group in the tree first")
    }
}
