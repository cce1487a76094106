import Foundation
import Testing
import TestSupport

/// `x` in `safegroup attach`, in tmux, against the real demo-service: with `--actions` the
/// selected task is cancelled after `y` and every viewer is told by whom; without, the key says
/// why it cannot.
@Suite("Actions end to end (tmux)", .serialized, .enabled(if: tmuxPath != nil, "tmux is not installed; CI installs it"))
struct ActionEndToEndTests {
    typealias E2E = DashboardEndToEndTests

    /// Attaches to a demo-service and selects its long-lived `schedule` task (the second row:
    /// the `demo-service` group opens first).
    private func attachAndSelectSchedule(actions: Bool, in directory: ScratchDirectory) async throws -> (DemoServiceProcess, TmuxPane) {
        try #require(FileManager.default.isExecutableFile(atPath: DemoServiceProcess.executable))
        let socket = directory.file("svc.sock")
        let service = try DemoServiceProcess(socket: socket, name: "actions-e2e", seed: 5, extra: actions ? ["--actions"] : [])
        try #require(await service.waitForSocket(), "demo-service never served \(socket): \(service.diagnosis)")
        let pane = try TmuxPane(columns: 160, rows: 48)
        try pane.type("\(safegroupPath) attach \(socket)" + E2E.echoExitStatus)
        let live = try await pane.waitForScreen(within: .seconds(15)) { screen in
            E2E.header(of: screen).contains("● connected") && screen.contains("schedule")
        }
        #expect(live.matched, "demo-service's tree did not show:\n\(live.screen)")
        try pane.press("j")
        let selected = try await pane.waitForScreen { $0.contains("schedule") }
        #expect(selected.matched)
        return (service, pane)
    }

    @Test func xThenYCancelsTheSelectedTaskOfAServiceWithActionsOn() async throws {
        let directory = ScratchDirectory(prefix: "sg-act")
        let (service, pane) = try await attachAndSelectSchedule(actions: true, in: directory)
        defer { pane.kill(); service.kill() }
        try pane.press("x")
        let asked = try await pane.waitForScreen { $0.contains("cancel t") && $0.contains("'schedule'?") && $0.contains("y confirm") }
        #expect(asked.matched, "x did not ask for a confirmation:\n\(asked.screen)")
        try pane.press("y")
        // The service's answer comes in the stream: a viewer.action naming this dashboard's pid.
        let done = try await pane.waitForScreen(within: .seconds(10)) { $0.contains("cancelled t") && $0.contains("(schedule)") }
        #expect(done.matched, "no answer from the service:\n\(done.screen)")
        #expect(done.screen.contains("viewer "))
        _ = await service.stop(SIGTERM)
    }

    @Test func xOnAServiceWithoutActionsSaysWhyAndSendsNothing() async throws {
        let directory = ScratchDirectory(prefix: "sg-act")
        let (service, pane) = try await attachAndSelectSchedule(actions: false, in: directory)
        defer { pane.kill(); service.kill() }
        try pane.press("x")
        let refused = try await pane.waitForScreen { $0.contains("x: actions are off in this service") }
        #expect(refused.matched, "x did not say why:\n\(refused.screen)")
        #expect(!refused.screen.contains("y confirm"))
        // The task was not cancelled: it is still running a moment later.
        try await Task.sleep(for: .milliseconds(500))
        #expect(!(try pane.screen()).contains("cancelled t"))
        try pane.press("q")
        _ = await service.stop(SIGTERM)
    }
}
