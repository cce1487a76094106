import Foundation
import GroupMonitor
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The terminal's and the shell's conventions: a terminal that cannot move the cursor is refused
/// in one line, shell completions (live sockets for SOCKET), `--no-color`.
@Suite struct TerminalConventionsTests {
    /// Runs the real binary on a pseudo-terminal, as `script` gives one (standard input, output
    /// and error all on it), with `TERM=dumb`.
    @Test(arguments: [["demo", "--seed", "1"], ["attach", "/nonexistent.sock"]])
    func aDumbTerminalIsRefusedInOneLineThatPointsToDump(_ arguments: [String]) async throws {
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "needs script(1), from util-linux")
        let directory = ScratchDirectory()
        let output = directory.file("terminal")
        let binary = productsDirectory.appendingPathComponent("safegroup").path
        // -e: script exits with the program's status; everything the program writes is in `output`.
        let process = try ChildProcess(script, ["-qec", ([binary] + arguments).map { "'\($0)'" }.joined(separator: " "), output],
                                       environment: ["TERM": "dumb"], in: directory)
        #expect(await process.waitForExit())
        #expect(process.exitStatus == 1)
        let written = try String(contentsOfFile: output, encoding: .utf8)
        // One line and nothing else (script's own header and trailer around it): no screen.
        let lines = written.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("Script started") && !$0.hasPrefix("Script done") }
        #expect(lines == ["safegroup: this terminal (TERM=dumb) cannot move the cursor, which the dashboard needs; to read events as text, use `safegroup dump`"],
                "\(written.debugDescription)")
        #expect(!written.contains("\u{1B}"), "\(written.debugDescription)")
    }

    @Test func theCompletionScriptsNameEverySubcommand() async throws {
        let directory = ScratchDirectory()
        for shell in ["bash", "zsh", "fish"] {
            let result = try await safegroup(["--generate-completion-script", shell], in: directory)
            #expect(result.status == 0)
            for command in ["attach", "replay", "demo", "list", "record", "dump"] {
                #expect(result.stdoutText.contains(command), "the \(shell) script lacks \(command)")
            }
            #expect(result.stdoutText.contains("---completion"), "the \(shell) script does not ask safegroup for sockets")
        }
    }

    @Test(arguments: ["attach", "record", "dump"])
    func aSocketArgumentCompletesTheLiveServicesSockets(_ command: String) async throws {
        let directory = ScratchDirectory()
        let socket = directory.file("svc.sock")
        let monitor = try SafeGroupMonitor.start(service: "completion", socketPath: socket, installAsDefault: false)
        defer { monitor.shutdown() }
        // What bash's completion function runs: the words so far, the current one empty.
        let result = try await safegroup(["---completion", command, "--", "positional@0", "2", "0", "safegroup", command, ""],
                                         environment: ["SAFEGROUP_SOCKET": socket, "XDG_RUNTIME_DIR": directory.path + "/none"],
                                         in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.split(separator: "\n").map(String.init).contains(socket), "\(result.stdoutText)")
    }

    @Test func noColorIsAnOptionOfEveryDashboardCommand() async throws {
        let directory = ScratchDirectory()
        for command in ["attach", "replay", "demo"] {
            let result = try await safegroup([command, "--help"], in: directory)
            #expect(result.stdoutText.contains("--no-color"), "\(command) --help lacks --no-color")
        }
    }
}
