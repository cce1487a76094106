import Foundation
import GroupEvents
import Testing

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
        let directory = try ScratchDirectory()
        let file = directory.file("small.ndjson")
        try Recordings.small().write(to: URL(fileURLWithPath: file))
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
        let directory = try ScratchDirectory()
        let file = directory.file("small.ndjson")
        try Recordings.small().write(to: URL(fileURLWithPath: file))
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
        let directory = try ScratchDirectory()
        let file = directory.file("small.ndjson")
        try Recordings.small().write(to: URL(fileURLWithPath: file))
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
        let directory = try ScratchDirectory()
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
        try pane.type("\(safegroupPath) demo --seed 1; echo EXIT=$?")
        let running = try await pane.waitForScreen { $0.contains("DEMO") }
        #expect(running.matched)
        try pane.press("q")
        // Lines the shell printed, not the typed command (which holds "EXIT=$?" itself).
        let exited = try await pane.waitForScreen { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=0"], "no EXIT=0 after q:\n\(exited.screen)")
        try pane.type("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo -e -icanon -e -echo | sed 's/^/MODE=/'")
        let stty = try await pane.waitForScreen { Self.lines(of: $0, startingWith: "MODE=").count >= 2 }
        #expect(Set(Self.lines(of: stty.screen, startingWith: "MODE=")) == ["MODE=icanon", "MODE=echo"],
                "terminal not restored:\n\(stty.screen)")
    }

    /// Ctrl-C (SIGINT) ends the dashboard with 128 + 2, the terminal restored.
    @Test func interruptExitsWith130() async throws {
        let pane = try TmuxPane()
        defer { pane.kill() }
        try pane.type("\(safegroupPath) demo --seed 2; echo EXIT=$?")
        _ = try await pane.waitForScreen { $0.contains("DEMO") }
        try pane.press("C-c")
        let exited = try await pane.waitForScreen { !Self.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(Self.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=130"], "no EXIT=130 after Ctrl-C:\n\(exited.screen)")
        #expect(!exited.screen.contains("DEMO"), "the dashboard is still on the screen:\n\(exited.screen)")
    }

    /// The screen's lines that start with `prefix`, trimmed.
    static func lines(of screen: String, startingWith prefix: String) -> [String] {
        screen.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix(prefix) }
    }

    static func longestLine(_ screen: String) -> Int {
        screen.components(separatedBy: "\n").map { $0.count }.max() ?? 0
    }
}
