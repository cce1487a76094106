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
