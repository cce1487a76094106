import Foundation
import Testing

/// `--no-color` draws the real dashboard without colours, as `NO_COLOR` does.
@Suite(.serialized, .enabled(if: tmuxPath != nil, "needs tmux"))
struct NoColorEndToEndTests {
    /// Whether the pane's cells carry a foreground or background colour (tmux's `capture-pane -e`
    /// writes each cell's attributes as SGR sequences).
    static func hasColours(_ screen: String) -> Bool {
        screen.contains { $0 == "\u{1B}" } && screen.split(separator: "\u{1B}").contains { sequence in
            guard sequence.hasPrefix("["), let end = sequence.firstIndex(of: "m") else { return false }
            let codes = sequence[sequence.index(after: sequence.startIndex)..<end].split(separator: ";").compactMap { Int($0) }
            return codes.contains { (30...37).contains($0) || (40...47).contains($0) || (90...97).contains($0) || $0 == 38 || $0 == 48 }
        }
    }

    @Test(arguments: [false, true])
    func replayDrawsColoursUnlessNoColorIsGiven(_ noColor: Bool) async throws {
        let recording = try DashboardEndToEndTests.smallRecording()
        let pane = try TmuxPane()
        defer { pane.kill() }
        // The test runner's environment may carry NO_COLOR, which the pane's shell inherits.
        try pane.type("env -u NO_COLOR \(safegroupPath) replay \(recording.path) --speed 64\(noColor ? " --no-color" : "")")
        let end = try await pane.waitForScreen { $0.contains("end of file") }
        #expect(end.matched, "the replay did not reach its end:\n\(end.screen)")
        let styled = try pane.run(["capture-pane", "-p", "-e"])
        #expect(Self.hasColours(styled) == !noColor, "\(styled.debugDescription)")
        try pane.press("q")
    }
}
