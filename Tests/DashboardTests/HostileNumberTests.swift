@testable import Dashboard
import GroupEvents
import Testing

/// Numbers from the stream are untrusted: counts and times at the ends of their types never
/// trap the reducer or the views, and show saturated instead of wrapped.
@Suite struct HostileNumberTests {
    @Test func aChildAfterAClosedGroupOfMaximumChildrenDoesNotTrap() {
        var s = StreamBuilder()
        s.header()
        s.open(1, "checkout", at: 1)
        s.close(1, .ok, at: 2, children: Int.max)
        s.spawn(10, in: 1, "late-child", at: 3)
        var state = DashboardState(mode: .replay, size: TerminalSize(columns: 120, rows: 40))
        state.feed(s, tickAt: 0)
        #expect(state.model.groups[GroupID(1)]?.childCount == Int.max)
        #expect(state.model.tasks[TaskID(10)] != nil)
        _ = render(state, size: TerminalSize(columns: 120, rows: 40))
    }

    @Test func aFaultAfterAClosedGroupOfMaximumFaultsDoesNotTrap() {
        var s = StreamBuilder()
        s.header()
        s.open(1, "checkout", at: 1)
        s.spawn(10, in: 1, "payment", at: 2)
        s.close(1, .faulted, at: 3, faults: Int.max, children: 1)
        s.fault(10, "payment", in: 1, "checkout", started: 2, at: 4)
        var state = DashboardState(mode: .replay, size: TerminalSize(columns: 120, rows: 40))
        state.feed(s, tickAt: 0)
        #expect(state.model.groups[GroupID(1)]?.faults == Int.max)
        #expect(state.model.faults.appended == 1)
        _ = render(state, size: TerminalSize(columns: 120, rows: 40))
    }

    @Test func droppedCountsSaturateAndShowInSixColumns() {
        var s = StreamBuilder()
        s.header()
        s.dropped(UInt64.max, at: 1)
        s.dropped(UInt64.max, at: 2)
        var state = DashboardState(mode: .replay, size: TerminalSize(columns: 120, rows: 40))
        state.feed(s, tickAt: 0)
        #expect(state.model.dropped == UInt64.max)
        #expect(Format.count(UInt64.max) == "18.4E")
        #expect(Format.count(Int.min) == "-9.2E")
        #expect(Format.count(1_234_567_890_123) == "1.2T")
        let header = render(state, size: TerminalSize(columns: 120, rows: 40)).text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("dropped 18.4E"), "\(header)")
    }
}

/// A live service that stops sending (heartbeats come every second) is shown silent, not connected.
@Suite struct SilenceTests {
    static let size = TerminalSize(columns: 120, rows: 40)

    static func header(_ state: DashboardState) -> String {
        String(render(state, size: size).text.split(separator: "\n").first ?? "")
    }

    @Test func aServiceSilentLongerThanTheTimeoutIsShownSilent() {
        var s = StreamBuilder()
        s.header()
        s.open(1, "checkout", at: 1)
        var state = DashboardState(mode: .live, size: Self.size)
        state.update(.tick(viewerNanoseconds: 1_000_000_000))
        state.update(.connection(.connected))
        state.feed(s, tickAt: 1)
        state.update(.tick(viewerNanoseconds: 10_000_000_000))
        #expect(state.silentSeconds == nil)
        #expect(Self.header(state).contains("● connected"), "\(Self.header(state))")
        state.update(.tick(viewerNanoseconds: 13_500_000_000))
        #expect(state.silentSeconds == 12)
        #expect(Self.header(state).contains("◌ silent for 12 s"), "\(Self.header(state))")
        // Anything from the service ends the silence.
        var more = StreamBuilder()
        more.seq = s.seq
        more.event(at: 2, .heartbeat(Heartbeat(produced: 2, dropped: 0, viewers: 1)))
        for record in more.records { state.update(.record(record)) }
        state.update(.tick(viewerNanoseconds: 14_000_000_000))
        #expect(state.silentSeconds == nil && Self.header(state).contains("● connected"))
        // A replay is never silent.
        var replay = DashboardState(mode: .replay, size: Self.size)
        replay.update(.tick(viewerNanoseconds: 0))
        replay.update(.tick(viewerNanoseconds: 60_000_000_000))
        #expect(replay.silentSeconds == nil)
    }
}
