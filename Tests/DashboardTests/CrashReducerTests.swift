@testable import Dashboard
import GroupEvents
import Testing

/// The last gasp in the dashboard: a `process.crashed` event, then the end of the stream,
/// shows the service as crashed (with the signal, the task and the reason), not disconnected.
@Suite struct CrashReducerTests {
    let size = TerminalSize(columns: 160, rows: 30)

    /// The checkout scenario, then task 13 ('charge-card') traps.
    func crashedState(task: UInt64? = 13, reason: String = "Fatal error: Unexpectedly found nil") -> DashboardState {
        var s = checkoutScenario()
        s.event(at: 3_600, .processCrashed(ProcessCrashed(
            signal: 4, signalName: "SIGILL", reason: reason, task: task.map { TaskID($0) }, group: task.map { _ in GroupID(1) },
            thread: 77, address: 0x5600_0000_1000, stack: [StackFrame(symbol: "0x0000560000001000"), StackFrame(symbol: "0x00007f0000002000")])))
        var state = DashboardState(mode: .live, size: size)
        state.update(.connection(.connected))
        state.feed(s)
        return state
    }

    @Test func crashEventThenEndOfStreamShowsTheServiceCrashedWithSignalTaskAndReason() {
        var state = crashedState()
        let name = state.model.tasks[TaskID(13)]!.name
        #expect(state.connection == .connected, "the stream is still open until the process dies")
        state.update(.connection(.ended))
        #expect(state.connection == .crashed(reason: "SIGILL in t13 '\(name)': Fatal error: Unexpectedly found nil"))
        #expect(render(state, size: size).text.contains("SERVICE CRASHED: SIGILL in t13"))
    }

    /// A crash reason is untrusted and can be long: it is cut, and the header still says which
    /// service died, with its pid.
    @Test func aLongCrashReasonIsCutBeforeTheServiceNameAndPid() {
        var state = crashedState(reason: "Fatal error: " + String(repeating: "very long reason ", count: 40))
        state.update(.connection(.ended))
        let header = render(state, size: size).text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("SERVICE CRASHED: SIGILL"), "\(header)")
        #expect(header.hasPrefix(state.model.service), "\(header)")
        #expect(header.contains("pid \(state.model.pid ?? -1)"), "\(header)")
        #expect(header.contains("ev/s"), "\(header)")
    }

    @Test func crashEventOverridesTheStaleSocketGuessAndAReconnect() {
        var state = crashedState()
        state.update(.connection(.crashed(reason: "socket left behind")))
        guard case .crashed(let reason) = state.connection else { Issue.record("\(state.connection)"); return }
        #expect(reason.hasPrefix("SIGILL in t13"))
        state.update(.connection(.reconnecting(inSeconds: 2)))
        #expect(state.connection == .crashed(reason: reason))
    }

    @Test func crashingTaskEndsCrashedWithACrashFaultHoldingTheRawStack() {
        let state = crashedState()
        let task = state.model.tasks[TaskID(13)]!
        #expect(task.phase == .ended(.crashed))
        #expect(state.model.counters.crashed == 1)
        let fault = state.model.faults[number: task.faultNumber ?? -1]
        #expect(fault?.kind == .crash)
        #expect(fault?.errorType == "SIGILL")
        #expect(fault?.signal == 4)
        #expect(fault?.stackOrigin == "last-gasp")
        #expect(fault?.stack.map(\.symbol) == ["0x0000560000001000", "0x00007f0000002000"])
        #expect(fault?.taskName == task.name)
    }

    @Test func crashOutsideAnyChildStillShowsTheServiceCrashed() {
        var state = crashedState(task: nil, reason: "segmentation fault: address not mapped at 0x0000000000000000")
        #expect(state.model.counters.crashed == 0)
        state.update(.connection(.ended))
        #expect(state.connection == .crashed(reason: "SIGILL: segmentation fault: address not mapped at 0x0000000000000000"))
    }

    @Test func hostileReasonIsSanitized() {
        var state = crashedState(reason: "\u{1B}[2Jgone\u{202E}")
        state.update(.connection(.ended))
        guard case .crashed(let reason) = state.connection else { Issue.record("\(state.connection)"); return }
        #expect(!reason.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
    }

    @Test func aNewSessionAfterTheCrashIsLiveAgain() {
        var state = crashedState()
        state.update(.connection(.ended))
        var restarted = StreamBuilder()
        restarted.header()
        state.feed(restarted)
        state.update(.connection(.connected))
        #expect(state.connection == .connected)
        #expect(state.model.crash == nil)
    }
}
