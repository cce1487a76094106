@testable import Dashboard
import GroupEvents
import Testing

/// Rendered screens compared with text snapshots in `__Snapshots__/` (re-record with
/// `RECORD_SNAPSHOTS=1 swift test --filter DashboardTests`).
@Suite struct RenderSnapshotTests {
    static let small = TerminalSize(columns: 80, rows: 24)
    static let large = TerminalSize(columns: 160, rows: 48)

    @Test func liveAt80x24() {
        let state = checkoutState(size: Self.small)
        assertSnapshot(render(state, size: Self.small), named: "live-80x24")
    }

    @Test func liveAt160x48() {
        let state = checkoutState(size: Self.large)
        assertSnapshot(render(state, size: Self.large), named: "live-160x48")
    }

    @Test func theSelectedFaultShowsItsStackAt160x48() {
        var state = checkoutState(size: Self.large)
        state.press(.tab, .down)
        assertSnapshot(render(state, size: Self.large), named: "faults-stack-160x48")
    }

    @Test func aSelectedTaskWithAFaultShowsItAt80x24() {
        var state = checkoutState(size: Self.small)
        state.press(.down, .down)  // charge-card
        assertSnapshot(render(state, size: Self.small), named: "task-detail-80x24")
    }

    @Test func theSitesViewAt160x48() {
        var state = checkoutHealthState(size: Self.large)
        state.press(.character("2"))
        assertSnapshot(render(state, size: Self.large), named: "sites-160x48")
    }

    /// Narrow: the columns at the end of the list give way; the site keeps its room.
    @Test func theSitesViewAt80x24() {
        var state = checkoutHealthState(size: Self.small)
        state.press(.character("2"), .character("s"), .character("s"))
        assertSnapshot(render(state, size: Self.small), named: "sites-80x24")
    }

    @Test func helpOverlayAt80x24() {
        var state = checkoutState(size: Self.small)
        state.press(.character("?"))
        assertSnapshot(render(state, size: Self.small), named: "help-80x24")
    }

    @Test func replayAt80x24() {
        var state = checkoutState(mode: .replay, size: Self.small)
        state.update(.replayPosition(ReplayPosition(time: StreamBuilder.ms(3_500), start: StreamBuilder.ms(1_000),
                                                    end: StreamBuilder.ms(11_000), speed: 4, isPlaying: true)))
        state.update(.connection(.connected))
        assertSnapshot(render(state, size: Self.small), named: "replay-80x24")
    }

    @Test func pausedAndFilteringAt80x24() {
        var state = checkoutState(size: Self.small)
        state.press(.character("p"), .character("/"))
        state.type("sync")
        assertSnapshot(render(state, size: Self.small), named: "paused-filter-80x24")
    }

    /// A service name longer than the screen is cut short; the mode and the connection stay.
    @Test func aVeryLongServiceNameIsCutAndTheModeAndConnectionStay() {
        let long = "checkout-" + String(repeating: "very-long-tenant-name-", count: 12) + "東京"
        var scenario = checkoutScenario()
        scenario.records[0] = .header(WireHeader(service: long, pid: 4242, epochUnixNanoseconds: 1_767_225_600_000_000_000))
        var state = DashboardState(mode: .live, size: Self.small)
        state.update(.tick(viewerNanoseconds: 0))
        state.feed(scenario)
        state.update(.tick(viewerNanoseconds: 500_000_000))
        state.update(.connection(.reconnecting(inSeconds: 4)))
        let screen = render(state, size: Self.small)
        assertSnapshot(screen, named: "long-service-name-80x24")
        let header = screen.line(0)
        #expect(header.hasPrefix("checkout-ve…  pid 4242  LIVE  "))
        #expect(header.contains("… "), "the name is not cut with an ellipsis: \(header)")
        #expect(header.contains("LIVE"))
        #expect(header.contains("reconnecting in 4 s"))
        #expect(header.contains("dropped 17"))
        // On the narrowest usable screen, in every mode and connection, the mode and the
        // connection still show; the pid and the uptime give way first.
        for mode in [DashboardMode.live, .demo, .replay] {
            var state = DashboardState(mode: mode, size: TerminalSize.minimum)
            state.feed(scenario, tickAt: 1)
            for connection: ConnectionState in [.connecting, .connected, .reconnecting(inSeconds: 12), .ended] {
                state.update(.connection(connection))
                let line = render(state, size: TerminalSize.minimum).line(0)
                #expect(line.contains(mode.rawValue), "\(mode) \(connection): \(line)")
                let word = switch connection {
                case .connecting: "connecting"
                case .connected: mode == .replay ? "file" : "connected"
                case .reconnecting: "reconnecting in 12 s"
                default: mode == .replay ? "end of file" : "service ended"
                }
                #expect(line.contains(word), "\(mode) \(connection): \(line)")
            }
        }
    }

    @Test func belowTheMinimumSizeAMessageAsksForMore() {
        let size = TerminalSize(columns: 50, rows: 12)
        let state = checkoutState(size: size)
        let screen = render(state, size: size)
        assertSnapshot(screen, named: "too-small-50x12")
        #expect(screen.text.contains("60×16"))
    }

    @Test func everyUsableSizeRendersWithoutLosingTheHeader() {
        var state = checkoutState(size: Self.small)
        for columns in stride(from: 60, through: 200, by: 7) {
            for rows in stride(from: 16, through: 60, by: 5) {
                let size = TerminalSize(columns: columns, rows: rows)
                state.update(.resize(size))
                let screen = render(state, size: size)
                #expect(screen.line(0).hasPrefix("checkout"), "\(size)")
                #expect(screen.line(0).contains("dropped 17"), "\(size)")
                #expect(screen.line(rows - 1).contains("help"), "\(size)")
            }
        }
    }

    @Test func renderReadsOnlyTheVisibleRowsOf100kTasks() {
        // Not a timing (tests never assert timings): a check that a huge state renders and
        // shows the selected slice. The benchmark measures the time.
        var state = DashboardState(mode: .live, size: Self.large)
        var records: [WireRecord] = [.header(WireHeader(service: "bulk", pid: 1, epochUnixNanoseconds: 0))]
        records.append(.event(seq: 1, Event(time: .init(nanoseconds: 1), .groupOpened(GroupOpened(
            group: GroupID(1), name: "bulk", site: SourceSite(file: "Bulk.swift", line: 1), policy: .collectAll)))))
        for task in UInt64(1)...100_000 {
            records.append(.event(seq: task + 1, Event(time: .init(nanoseconds: 1_000 + task), .taskSpawned(TaskSpawned(
                task: TaskID(task), group: GroupID(1), name: "job-\(task)", site: SourceSite(file: "Bulk.swift", line: 9))))))
        }
        state.update(.records(records))
        state.press(.end)
        #expect(state.treeRows.count == 100_001)
        let screen = render(state, size: Self.large)
        #expect(screen.text.contains("job-100000"))
        #expect(!screen.text.contains("job-1 "))
    }
}

/// A fault deep in the tree, as SafeGroup records it now: the throw's stack with the service's
/// frames among a library's, a nested group's faults as a multi-line message, and the chain of
/// spawns and groups up to the root.
func nestedFaultState(size: TerminalSize) -> DashboardState {
    var s = checkoutScenario()
    s.start(22, in: 2, at: 1_012)
    s.fault(22, "velocity 📈", in: 2, "fraud-signals", errorType: "SafeGroup.GroupFaults",
            message: "group 'velocity windows' (g9) had 2 faults:\n  1. error in 'window 1m' (t91, spawned at Fraud/Velocity.swift:30): Fraud.StoreError — timed out reading\n  2. error in 'window 1h' (t92, spawned at Fraud/Velocity.swift:30): Fraud.StoreError — connection refused",
            started: 1_012, at: 1_400, stack: [
                StackFrame(symbol: "Fraud.VelocityStore.read(window:)", file: "/srv/app/Sources/Fraud/VelocityStore.swift", line: 118),
                StackFrame(symbol: "NIOCore.EventLoopFuture.wait()", file: "/srv/app/.build/checkouts/swift-nio/Sources/NIOCore/EventLoopFuture.swift", line: 922),
                StackFrame(symbol: "Fraud.Velocity.score(order:)", file: "/srv/app/Sources/Fraud/Velocity.swift", line: 41),
                StackFrame(symbol: "0x00007f3a1c2b4e10"),
            ], origin: "throw")
    var state = DashboardState(mode: .live, size: size)
    state.update(.connection(.connected))
    state.update(.tick(viewerNanoseconds: 0))
    state.feed(s)
    state.update(.tick(viewerNanoseconds: 500_000_000))
    return state
}

@Suite struct FaultDetailSnapshotTests {
    @Test func aNestedFaultShowsItsMessageLinesThrowStackAndSpawnChainAt160x48() {
        let size = RenderSnapshotTests.large
        var state = nestedFaultState(size: size)
        state.press(.tab, .home)  // the newest fault: velocity
        #expect(state.selectedFault?.taskName == "velocity 📈")
        assertSnapshot(render(state, size: size), named: "nested-fault-160x48")
    }

    @Test func aDetailThatDoesNotFitScrollsWithJAndK() {
        let size = RenderSnapshotTests.small
        var state = nestedFaultState(size: size)
        state.press(.tab, .home)
        let top = render(state, size: size).text
        #expect(top.contains("more (J)"))
        state.press(.character("J"), .character("J"), .character("J"))
        #expect(state.view.detailScroll == 3)
        let scrolled = render(state, size: size).text
        #expect(scrolled.contains("more (K)"))
        #expect(scrolled != top)
        assertSnapshot(render(state, size: size), named: "nested-fault-scrolled-80x24")
        // Far past the end it stops where the last line shows; K comes straight back from there.
        for _ in 0..<200 { state.press(.character("J")) }
        let most = state.view.detailScroll
        #expect(most < 200)
        #expect(render(state, size: size).text.contains("g1 checkout-request"))
        state.press(.character("K"))
        #expect(state.view.detailScroll == most - 1)
        // Moving the selection starts the next one at its top.
        state.press(.up)
        #expect(state.view.detailScroll == 0)
    }
}

@Suite struct DetailScrollFollowTests {
    @Test func followingAnotherFaultStartsTheDetailAtItsTop() {
        let size = RenderSnapshotTests.small
        var state = nestedFaultState(size: size)
        state.press(.tab, .home, .character("f"))
        #expect(state.view.follows)
        state.press(.character("J"), .character("J"))
        #expect(state.view.detailScroll == 2)
        // A new fault arrives: following selects it, and its detail starts at the top.
        var s = StreamBuilder()
        s.fault(21, "ip-reputation", in: 2, "fraud-signals", started: 1_012, at: 1_450, seq: 900)
        state.feed(s)
        state.update(.tick(viewerNanoseconds: 600_000_000))
        #expect(state.selectedFault?.taskName == "ip-reputation")
        #expect(state.view.detailScroll == 0)
    }
}

