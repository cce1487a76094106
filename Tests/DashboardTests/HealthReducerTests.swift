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
        #expect(render(state, size: Self.size).text.contains("poll-upstream (t7)"))
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
