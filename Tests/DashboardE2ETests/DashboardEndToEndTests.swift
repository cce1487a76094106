import Foundation
import GroupEvents
import Testing
import TestSupport

/// The real `safegroup` binary in a tmux pane: what a user sees and types.
@Suite("Dashboard end to end (tmux)", .serialized, .enabled(if: tmuxPath != nil, "tmux is not installed; CI installs it"))
struct DashboardEndToEndTests {
    /// The demo shows its groups, their tasks, and a fault with its stack, within a few seconds.
    @Test func demoShowsGroupsTasksAndAFaultWithItsStack() async throws {
        let pane = try TmuxPane(columns: 160, rows: 48)
        defer { pane.kill() }
        try pane.type("\(safegroupPath) demo --seed 1")
        let tree = try await pane.waitForScreen {
            $0.contains("DEMO") && $0.contains("checkout #1") && $0.contains("inventory") && $0.contains("✗ ")
        }
        #expect(tree.matched, "no groups, tasks and failed task in:\n\(tree.screen)")
        // Tab to the faults pane: the detail shows the selected (newest) fault and its stack.
        try pane.press("Tab")
        let fault = try await pane.waitForScreen { $0.contains("stack (") && $0.contains(".swift:") }
        #expect(fault.matched, "no fault stack in:\n\(fault.screen)")
    }

    /// A fault shows where it happened, in the demo's own code, and its spawn chain below,
    /// reached by scrolling the detail pane with `J`.
    @Test func aFaultShowsItsThrowSiteAndScrollsToItsSpawnChain() async throws {
        let pane = try TmuxPane(columns: 160, rows: 48)
        defer { pane.kill() }
        try pane.type("\(safegroupPath) demo --seed 1")
        let started = try await pane.waitForScreen { $0.contains("DEMO") && $0.contains("✗ ") }
        #expect(started.matched, "no failed task in:\n\(started.screen)")
        try pane.press("Tab")
        let fault = try await pane.waitForScreen { $0.contains("stack (throw):") && $0.contains("demo/Workloads/") }
        #expect(fault.matched, "no throw-site stack in the workloads' code:\n\(fault.screen)")
        try pane.press("p")  // pause, so that the selected fault stays while the pane scrolls
        // Scrolled to its end, the chain shows the child's spawn and its group's opening.
        let whole: (String) -> Bool = { $0.contains("spawn chain:") && $0.contains("opened at DemoWorkloads/") }
        var chain = try await pane.waitForScreen(within: .seconds(1), whole)
        for _ in 0..<60 where !chain.matched {
            try pane.press("J")
            chain = try await pane.waitForScreen(within: .milliseconds(300), whole)
        }
        #expect(chain.matched, "no whole spawn chain after scrolling the detail:\n\(chain.screen)")
        #expect(chain.screen.contains("spawned at DemoWorkloads/"), "\(chain.screen)")
    }

    /// `attach` to the real demo-service: its live groups and tasks show; a service stopped
    /// cleanly (socket removed) shows as ended, a killed one (socket left behind) as crashed,
    /// and after each a service started again on the same socket is attached again.
    @Test func attachFollowsARealServiceThroughStopsCrashesAndRestarts() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DemoServiceProcess.executable),
                     "no demo-service at \(DemoServiceProcess.executable)")
        let directory = ScratchDirectory(prefix: "sg-e2e")
        let socket = directory.file("svc.sock")
        var service = try DemoServiceProcess(socket: socket, name: "attach-e2e", seed: 31)
        defer { service.kill() }
        try #require(await service.waitForSocket(), "demo-service never served \(socket): \(service.diagnosis)")

        let pane = try TmuxPane(columns: 160, rows: 48)
        defer { pane.kill() }
        try pane.type("\(safegroupPath) attach \(socket)" + Self.echoExitStatus)
        let workloads = ["checkout #", "nightly-sync #", "recommendations #"]
        let first = service.pid
        let live = try await pane.waitForScreen(within: .seconds(15)) { screen in
            let header = Self.header(of: screen)
            return header.contains("attach-e2e") && header.contains("pid \(first)") && header.contains("LIVE")
                && header.contains("● connected") && workloads.contains { screen.contains($0) }
                && Self.trackedTasks(in: screen) > 0
        }
        #expect(live.matched, "no live groups and tasks of demo-service (pid \(first)):\n\(live.screen)")

        // SIGTERM: the service stops cleanly and removes its socket.
        #expect(await service.stop(SIGTERM), "demo-service did not stop on SIGTERM")
        let ended = try await pane.waitForScreen { Self.header(of: $0).contains("service ended") }
        #expect(ended.matched, "a stopped service is not shown as ended:\n\(ended.screen)")

        // Started again on the same socket: attached again, with the new process's stream.
        service = try DemoServiceProcess(socket: socket, name: "attach-e2e", seed: 32)
        let second = service.pid
        let back = try await pane.waitForScreen(within: .seconds(20)) { screen in
            let header = Self.header(of: screen)
            return header.contains("pid \(second)") && header.contains("● connected") && Self.trackedTasks(in: screen) > 0
        }
        #expect(back.matched, "the restarted service (pid \(second)) was not attached again:\n\(back.screen)")

        // SIGKILL: the process dies without removing its socket, which no one serves now.
        #expect(await service.stop(SIGKILL), "demo-service did not die on SIGKILL")
        let crashed = try await pane.waitForScreen { Self.header(of: $0).lowercased().contains("crashed") }
        #expect(crashed.matched, "a killed service is not shown as crashed:\n\(crashed.screen)")

        // A new service replaces the stale socket, and the dashboard attaches to it.
        service = try DemoServiceProcess(socket: socket, name: "attach-e2e", seed: 33)
        let third = service.pid
        let again = try await pane.waitForScreen(within: .seconds(20)) { screen in
            let header = Self.header(of: screen)
            return header.contains("pid \(third)") && header.contains("● connected") && !header.lowercased().contains("crashed")
        }
        #expect(again.matched, "the service started after the crash (pid \(third)) was not attached:\n\(again.screen)")

        try pane.press("q")
        let exited = try await pane.waitForScreen { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=0"], "no EXIT=0 after q:\n\(exited.screen)")
        #expect(await service.stop(SIGTERM))
    }

    /// `attach` with no argument and several live services lists them and attaches to the one
    /// the user picks by number.
    @Test func attachWithSeveralServicesAsksWhichOne() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DemoServiceProcess.executable),
                     "no demo-service at \(DemoServiceProcess.executable)")
        // A runtime directory of our own (0700), so that the services are found by the scan; other
        // services of this user (in /tmp/safegroup-<uid>/) may be listed too.
        let runtime = ScratchDirectory(prefix: "sg-e2e")
        let sockets = runtime.file("safegroup")
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let alpha = try DemoServiceProcess(socket: "\(sockets)/alpha-11.sock", name: "pick-alpha", seed: 41)
        defer { alpha.kill() }
        let beta = try DemoServiceProcess(socket: "\(sockets)/beta-22.sock", name: "pick-beta", seed: 42)
        defer { beta.kill() }
        try #require(await alpha.waitForSocket(), "demo-service never served \(alpha.socket): \(alpha.diagnosis)")
        try #require(await beta.waitForSocket(), "demo-service never served \(beta.socket): \(beta.diagnosis)")

        let pane = try TmuxPane(columns: 160, rows: 48)
        defer { pane.kill() }
        try pane.type("XDG_RUNTIME_DIR=\(runtime.path) \(safegroupPath) attach" + Self.echoExitStatus)
        let listed = try await pane.waitForScreen { $0.contains("attach to which one?") && $0.contains("beta-22.sock") }
        #expect(listed.matched, "no list of the live services:\n\(listed.screen)")
        let line = try #require(listed.screen.components(separatedBy: "\n").first { $0.contains("beta-22.sock") })
        #expect(line.contains("beta"), "the entry does not name the service: \(line)")
        let number = try #require(line.trimmingCharacters(in: .whitespaces).split(separator: ")").first.flatMap { Int($0) },
                                  "no number in \(line)")
        try pane.type("\(number)")
        let attached = try await pane.waitForScreen(within: .seconds(15)) { screen in
            let header = Self.header(of: screen)
            return header.contains("pick-beta") && header.contains("pid \(beta.pid)") && header.contains("● connected")
        }
        #expect(attached.matched, "the chosen service (pick-beta, pid \(beta.pid)) is not the one shown:\n\(attached.screen)")
        try pane.press("q")
        let exited = try await pane.waitForScreen { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=0"], "no EXIT=0 after q:\n\(exited.screen)")
        #expect(await alpha.stop(SIGTERM))
        #expect(await beta.stop(SIGTERM))
    }

    /// The dashboard's first row (the header's identity line), or "" before it is drawn.
    static func header(of screen: String) -> String {
        String(screen.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }

    /// The task count in the tree pane's title (`Tasks ─ 3 groups, 12 tasks`), or 0.
    static func trackedTasks(in screen: String) -> Int {
        guard let range = screen.range(of: #"groups, ([0-9,]+) tasks"#, options: .regularExpression) else { return 0 }
        let digits = screen[range].filter(\.isNumber)
        return Int(String(digits)) ?? 0
    }

    /// `c` makes an isolated child really trap in a worker process: the dashboard shows a
    /// recovered crash with the worker's stack and the signal, and the demo goes on.
    @Test func crashKeyShowsARecoveredCrashWithTheWorkersStack() async throws {
        let pane = try TmuxPane(columns: 160, rows: 48)
        defer { pane.kill() }
        try pane.type("\(safegroupPath) demo --seed 1")
        let running = try await pane.waitForScreen { $0.contains("DEMO") && $0.contains("checkout #1") }
        #expect(running.matched, "the demo did not start:\n\(running.screen)")
        try pane.press("c")
        let notice = try await pane.waitForScreen { $0.contains("invoice import #9000") && $0.contains("nil unwrap") }
        #expect(notice.matched, "no notice of the crash injection:\n\(notice.screen)")
        // Only the injected import (scheduled imports crash too), then the faults pane: the
        // selected fault's detail is the worker's stack.
        try pane.press("/")
        try pane.run(["send-keys", "-l", "import #9000"])
        try pane.press("Enter")
        try pane.press("Tab")
        let crash = try await pane.waitForScreen {
            $0.contains("stack (worker):") && $0.contains("LegacyInvoiceParser") && $0.contains("signal 4")
        }
        #expect(crash.matched, "no crash with a worker stack:\n\(crash.screen)")
        #expect(crash.screen.contains("Unexpectedly found nil while unwrapping an Optional value"), "\(crash.screen)")
        // The demo is still alive and keeps running: new checkouts appear after the crash.
        try pane.press("Escape")
        let alive = try await pane.waitForScreen { $0.contains("DEMO") && $0.contains("checkout #2") }
        #expect(alive.matched, "the demo stopped after the crash:\n\(alive.screen)")
        try pane.press("q")
    }

    /// `?` opens the help, any key closes it; Tab moves the focus; `/` filters the tree.
    @Test func keysChangeTheView() async throws {
        let recording = try Self.smallRecording()
        let file = recording.path
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("\(safegroupPath) replay \(file)")
        _ = try await pane.waitForScreen { $0.contains("REPLAY") }
        try pane.press("G")
        let start = try await pane.waitForScreen { $0.contains("second-task") && $0.contains("first-task") }
        #expect(start.matched, "replay did not reach its end:\n\(start.screen)")

        try pane.press("?")
        // The overlay is a box listing the replay keys too.
        let help = try await pane.waitForScreen { $0.contains("┌") && $0.contains("┘") && $0.contains("step one event") }
        #expect(help.matched, "no help overlay:\n\(help.screen)")
        try pane.press("Escape")
        let closed = try await pane.waitForScreen { $0.contains("first-task") }
        #expect(closed.matched, "help did not close:\n\(closed.screen)")

        try pane.press("/")
        try pane.run(["send-keys", "-l", "second"])
        let filtered = try await pane.waitForScreen { $0.contains("second-task") && !$0.contains("first-task") }
        #expect(filtered.matched, "the filter left first-task visible:\n\(filtered.screen)")
        try pane.press("Escape")
        let unfiltered = try await pane.waitForScreen { $0.contains("first-task") && $0.contains("second-task") }
        #expect(unfiltered.matched, "Esc did not clear the filter:\n\(unfiltered.screen)")

        // Tab to the faults pane: the detail switches from the selected task to the fault's stack.
        let before = try pane.screen()
        try pane.press("Tab")
        let switched = try await pane.waitForScreen { $0 != before && $0.contains("FinalError") && $0.contains("stack (") }
        #expect(switched.matched, "Tab did not show the fault:\n\(switched.screen)")
        try pane.press("q")
    }

    /// Resizing the terminal lays the screen out again at the new size.
    @Test func resizeRelaysTheScreen() async throws {
        let recording = try Self.smallRecording()
        let file = recording.path
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("\(safegroupPath) replay \(file)")
        try pane.press("G")
        let small = try await pane.waitForScreen { $0.contains("second-task") }
        #expect(small.matched)
        #expect(Self.longestLine(small.screen) <= 80)
        try pane.resize(columns: 160, rows: 48)
        let large = try await pane.waitForScreen { Self.longestLine($0) > 100 && $0.split(separator: "\n").count > 30 }
        #expect(large.matched, "the screen was not laid out at 160x48:\n\(large.screen)")
        // The footer moved to the new last row.
        let rows = large.screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.prefix(48).last?.contains("q quit") == true, "no footer on row 48:\n\(large.screen)")
        try pane.resize(columns: 40, rows: 10)
        let tiny = try await pane.waitForScreen { $0.contains("needs at least") }
        #expect(tiny.matched, "no too-small message at 40x10:\n\(tiny.screen)")
        try pane.press("q")
    }

    /// A replay played to its end shows the last event's effect: the final fault.
    @Test func replayReachesTheEndOfARecording() async throws {
        let recording = try Self.smallRecording()
        let file = recording.path
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("\(safegroupPath) replay \(file) --speed 64")
        // Played, not jumped: the recording lasts 3 s of stream time, under 0.1 s at 64x.
        let end = try await pane.waitForScreen { $0.contains("FinalError") && $0.contains("end of file") }
        #expect(end.matched, "the replay did not reach its end:\n\(end.screen)")
        #expect(end.screen.contains("0:03.0 / 0:03.0"), "position is not at the end:\n\(end.screen)")
        // Back to the start, where the last event has not happened yet.
        try pane.press("g")
        let start = try await pane.waitForScreen { !$0.contains("FinalError") }
        #expect(start.matched, "g did not go back to the start:\n\(start.screen)")
        try pane.press("G")
        let again = try await pane.waitForScreen { $0.contains("FinalError") }
        #expect(again.matched, "G did not go to the end:\n\(again.screen)")
        try pane.press("q")
    }

    /// Hostile text in a recording is drawn as text: the pane title stays, no escape residue.
    @Test func hostileRecordingLeavesTheTerminalAlone() async throws {
        let directory = ScratchDirectory(prefix: "sg-e2e")
        let file = directory.file("hostile.ndjson")
        try Recordings.hostile().write(to: URL(fileURLWithPath: file))
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.run(["select-pane", "-T", "e2e-title"])
        let title = try pane.title()
        #expect(title == "e2e-title")
        try pane.type("\(safegroupPath) replay \(file) --speed 64")
        // Paused at the end (❚❚), the three bad lines (huge, raw ESC, torn) counted.
        let shown = try await pane.waitForScreen { $0.contains("❚❚") && $0.contains("skipped 3 lines") }
        #expect(shown.matched, "the hostile recording was not played to its end:\n\(shown.screen)")
        try pane.press("Tab")
        try await Task.sleep(for: .milliseconds(300))
        let screen = try pane.screen()
        #expect(try pane.title() == title, "the pane title changed")
        // Shown as visible escapes (`\u{1B}`), never as the characters themselves.
        #expect(screen.contains("\\u{1B}]0;pwned"), "the hostile text is not shown escaped:\n\(screen)")
        for bad in ["\u{1B}", "\u{07}", "\u{9B}", "\u{85}", "\u{7F}", "\u{202E}", "\u{2066}"] {
            #expect(!screen.contains(bad), "the screen shows \(bad.unicodeScalars.map { String($0.value, radix: 16) }):\n\(screen)")
        }
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.count >= 24 && rows[1].hasPrefix("● ") && rows[2].contains("64×"), "the header rows moved:\n\(screen)")
        #expect(rows.allSatisfy { $0.count <= 80 }, "a row is wider than the pane:\n\(screen)")
        #expect(rows.prefix(24).last?.contains("q quit") == true, "the footer row moved:\n\(screen)")
        try pane.press("q")
        let after = try await pane.waitForScreen { $0.contains("$ ") && !$0.contains("REPLAY") }
        #expect(after.matched)
        #expect(try pane.title() == title, "the pane title changed after quitting")
    }

    /// `q` exits 0 and gives the shell back a sane terminal: canonical mode and echo restored.
    @Test func quitExitsZeroAndRestoresTheTerminal() async throws {
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("\(safegroupPath) demo --seed 1" + Self.echoExitStatus)
        let running = try await pane.waitForScreen { $0.contains("DEMO") }
        #expect(running.matched)
        try pane.press("q")
        let exited = try await pane.waitForScreen { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=0"], "no EXIT=0 after q:\n\(exited.screen)")
        try await Self.expectTerminalRestored(pane)
    }

    /// Ctrl-C (SIGINT) ends the dashboard with 128 + 2, the terminal restored.
    @Test func interruptExitsWith130() async throws {
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("\(safegroupPath) demo --seed 2" + Self.echoExitStatus)
        _ = try await pane.waitForScreen { $0.contains("DEMO") }
        try pane.press("C-c")
        let exited = try await pane.waitForScreen { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=130"], "no EXIT=130 after Ctrl-C:\n\(exited.screen)")
        #expect(!exited.screen.contains("DEMO"), "the dashboard is still on the screen:\n\(exited.screen)")
    }

    /// `attach` to a demo-service whose child traps in-process: the header shows the service
    /// crashed, with the signal, the task and Swift's message, not merely disconnected.
    @Test func attachShowsTheServiceCrashedWhenAChildTrapsInProcess() async throws {
        let directory = ScratchDirectory(prefix: "sg-e2e")
        let socket = directory.file("svc.sock")
        let demoService = productsDirectory.appendingPathComponent("demo-service").path
        let pane = try TmuxPane(columns: 200, rows: 40)
        defer { pane.kill() }
        try pane.type("SWIFT_BACKTRACE=enable=no \(demoService) --socket \(socket) --seed 5 --trap-in-process-after 2 "
                      + ">/dev/null 2>\(directory.file("stderr")) & "
                      + "until [ -S \(socket) ]; do sleep 0.05; done; \(safegroupPath) attach \(socket)")
        let live = try await pane.waitForScreen { $0.contains("LIVE") || $0.contains("checkout #") }
        #expect(live.matched, "attach did not show the live service:\n\(live.screen)")
        let crashed = try await pane.waitForScreen(within: .seconds(20)) {
            $0.contains("SERVICE CRASHED: SIGILL in t") && $0.contains("Fatal error: Unexpectedly found nil")
        }
        #expect(crashed.matched, "the header does not show the crash:\n\(crashed.screen)")
        #expect(crashed.screen.contains("☠"), "no crashed glyph:\n\(crashed.screen)")
        try pane.press("q")
    }

    /// A demo-service with its black box on and nobody attached traps in-process; `replay` of
    /// the box it left shows the service's last events and, at the end, the crash.
    @Test func replayOfTheBlackBoxACrashedServiceLeftShowsTheCrash() async throws {
        let directory = ScratchDirectory(prefix: "sg-e2e")
        let socket = directory.file("svc.sock")
        let boxes = directory.file("boxes")
        let demoService = productsDirectory.appendingPathComponent("demo-service").path
        let pane = try TmuxPane(columns: 200, rows: 40)
        defer { pane.kill() }
        try pane.type("SWIFT_BACKTRACE=enable=no SAFEGROUP_BLACKBOX=\(boxes) \(demoService) --socket \(socket) --seed 5 "
                      + "--trap-in-process-after 1 >/dev/null 2>&1; \(safegroupPath) replay \(boxes)/*.blackbox")
        let shown = try await pane.waitForScreen(within: .seconds(20)) { $0.contains("REPLAY") && $0.contains("demo") }
        #expect(shown.matched, "replay of the box did not start:\n\(shown.screen)")
        try pane.press("G")
        let crashed = try await pane.waitForScreen(within: .seconds(20)) {
            $0.contains("SERVICE CRASHED: SIGILL in t") && $0.contains("Fatal error: Unexpectedly found nil")
        }
        #expect(crashed.matched, "the end of the box does not show the crash:\n\(crashed.screen)")
        try pane.press("q")
    }

    /// SIGTERM ends the dashboard with 128 + 15, the screen and the terminal restored (a
    /// process killed by the signal would leave the terminal raw, with the same status).
    @Test func sigtermExitsWith143AndRestoresTheTerminal() async throws {
        let pane = try TmuxPane()
        defer { pane.kill() }
        // --foreground: the dashboard stays in the terminal's foreground process group.
        try pane.type("timeout --foreground --preserve-status -s TERM 2 \(safegroupPath) demo --seed 3" + Self.echoExitStatus)
        let running = try await pane.waitForScreen { $0.contains("DEMO") }
        #expect(running.matched, "the demo did not start:\n\(running.screen)")
        try await Self.expectExit(pane, status: 143, gone: "DEMO", because: "no EXIT=143 after SIGTERM:")
    }

    /// A trap in the dashboard (the test hook SAFEGROUP_TEST_TRAP_AFTER_DRAW: a `fatalError`
    /// after the first frame) leaves the terminal restored, also when the dashboard is not the
    /// shell's own child (here under `bash -c`), where the shell does not restore it.
    @Test func aTrapRestoresTheTerminal() async throws {
        let recording = try Self.smallRecording()
        let file = recording.path
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("SAFEGROUP_TEST_TRAP_AFTER_DRAW=1 SWIFT_BACKTRACE=enable=no bash -c 'ulimit -c 0; \(safegroupPath) replay \(file); exit $?'"
                      + Self.echoExitStatus)
        try await Self.expectExit(pane, status: 132, gone: "REPLAY", because: "no EXIT=132 (SIGILL) after the trap:")
    }

    /// Ctrl-\ (SIGQUIT, whose default is to dump core) ends the dashboard with the terminal restored.
    @Test func sigquitRestoresTheTerminal() async throws {
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("SWIFT_BACKTRACE=enable=no bash -c 'ulimit -c 0; \(safegroupPath) demo --seed 4; exit $?'" + Self.echoExitStatus)
        let running = try await pane.waitForScreen { $0.contains("DEMO") }
        #expect(running.matched, "the demo did not start:\n\(running.screen)")
        // The byte itself: tmux does not take `C-\\` as a key name.
        try pane.run(["send-keys", "-H", "1c"])
        try await Self.expectExit(pane, status: 131, gone: "DEMO", because: "no EXIT=131 (SIGQUIT):")
    }

    /// ``Recordings/small()`` written to `small.ndjson` in a scratch directory, which lives as
    /// long as this value.
    struct SmallRecording {
        let directory: ScratchDirectory
        let path: String
    }

    static func smallRecording() throws -> SmallRecording {
        let directory = ScratchDirectory(prefix: "sg-e2e")
        let path = directory.file("small.ndjson")
        try Recordings.small().write(to: URL(fileURLWithPath: path))
        return SmallRecording(directory: directory, path: path)
    }

    /// Waits for the `EXIT=` line of ``echoExitStatus``: the status must be `status`, the
    /// dashboard (its mode, `gone`) off the screen, and the terminal restored.
    static func expectExit(_ pane: TmuxPane, status: Int32, gone: String, because message: String,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let exited = try await pane.waitForScreen(within: .seconds(15)) { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=\(status)"], "\(message)\n\(exited.screen)",
                sourceLocation: sourceLocation)
        #expect(!exited.screen.contains(gone), "the dashboard is still on the screen:\n\(exited.screen)", sourceLocation: sourceLocation)
        try await expectTerminalRestored(pane, sourceLocation: sourceLocation)
    }

    /// Appended to a typed command, prints `EXIT=<status>` after it. The typed text spells the
    /// marker `EX""IT=`, so the command line itself, even wrapped at the pane's width, never
    /// starts a line with `EXIT=`.
    static let echoExitStatus = #"; echo EX""IT=$?"#

    /// Asks the shell in `pane` for the terminal's modes: canonical mode and echo must be back.
    /// (The typed text spells the marker `MO''DE=`, for the same reason as ``echoExitStatus``.)
    static func expectTerminalRestored(_ pane: TmuxPane, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try pane.type("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo -e -icanon -e -echo | sed 's/^/MO''DE=/'")
        let stty = try await pane.waitForScreen { Self.lines(of: $0, startingWith: "MODE=").count >= 2 }
        #expect(Set(Self.lines(of: stty.screen, startingWith: "MODE=")) == ["MODE=icanon", "MODE=echo"],
                "terminal not restored:\n\(stty.screen)", sourceLocation: sourceLocation)
    }

    /// The screen's lines that start with `prefix`, trimmed.
    static func lines(of screen: String, startingWith prefix: String) -> [String] {
        screen.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix(prefix) }
    }

    static func longestLine(_ screen: String) -> Int {
        screen.components(separatedBy: "\n").map { $0.count }.max() ?? 0
    }
}
