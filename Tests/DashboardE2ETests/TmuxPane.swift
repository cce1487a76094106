import Foundation
import Testing
import TestSupport

/// The directory of the built products: the test bundle sits beside `safegroup`.
let safegroupPath = productsDirectory.appendingPathComponent("safegroup").path

/// Where tmux is, or nil when it is not installed (the suite is then skipped).
let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// A shell in a pane of a private tmux server (`tmux -L`), at a fixed size, for driving the
/// real `safegroup` binary as a user would: keys in, screen text and pane title out.
///
/// Always ``kill()`` it (in a `defer`): the server outlives the test otherwise.
final class TmuxPane {
    let socket = "sg-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
    private let tmux: String
    /// Where the tmux clients' output goes.
    private let scratch = ScratchDirectory(prefix: "sg-e2e")

    /// Starts a server running an interactive bash, with no rc files and a `$ ` prompt.
    init(columns: Int = 80, rows: Int = 24) throws {
        guard let tmuxPath else { throw TmuxMissing() }
        tmux = tmuxPath
        // -f /dev/null: no user configuration; the environment is the test's, with a known TERM.
        try run(["-f", "/dev/null", "new-session", "-d", "-x", "\(columns)", "-y", "\(rows)",
                 "-e", "TERM=xterm-256color", "-e", "PS1=$ ",
                 "env", "TERM=xterm-256color", "PS1=$ ", "bash", "--norc", "--noprofile", "-i"])
        // The status line would take a row from the pane.
        try run(["set-option", "-g", "status", "off"])
        _ = try run(["resize-window", "-x", "\(columns)", "-y", "\(rows)"])
    }

    /// Runs a tmux command against this server; its standard output.
    ///
    /// ``ChildProcess`` (posix_spawn and waitpid, not Foundation's Process): the tmux client of
    /// `new-session` forks the server and exits, and Process then never saw the client end (it
    /// stayed a zombie and waitUntilExit hung). The output goes to a file: a pipe would be held
    /// open by the forked server. The child starts with no signal blocked or ignored: a tmux
    /// server inheriting the test process's would not hear kill-server's end or its shell's SIGCHLD.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let client: ChildProcess
        do {
            client = try ChildProcess(tmux, ["-L", socket] + arguments, in: scratch)
        } catch let error as POSIXError {
            throw TmuxFailed(arguments: arguments, status: error.code.rawValue)
        }
        client.waitUntilExit()
        return client.outputSoFar
    }

    /// Types `text` literally, then Enter.
    func type(_ text: String) throws {
        try run(["send-keys", "-l", text])
        try run(["send-keys", "Enter"])
    }

    /// Sends keys by tmux name (`Tab`, `Escape`, `Left`) or as single characters.
    func press(_ keys: String...) throws {
        try run(["send-keys"] + keys)
    }

    /// The pane's text, one line per row, without attributes or escape sequences.
    func screen() throws -> String { try run(["capture-pane", "-p"]) }

    /// The pane's title, which an OSC 0 or 2 sequence written to the terminal would change.
    func title() throws -> String {
        try run(["display-message", "-p", "#{pane_title}"]).trimmingCharacters(in: .newlines)
    }

    func resize(columns: Int, rows: Int) throws {
        try run(["resize-window", "-x", "\(columns)", "-y", "\(rows)"])
    }

    /// Polls the screen until `predicate` holds, at most `limit`; the last screen either way.
    func waitForScreen(within limit: Duration = .seconds(10), _ predicate: (String) -> Bool) async throws -> (matched: Bool, screen: String) {
        let deadline = ContinuousClock.now + limit
        var screen = try self.screen()
        while !predicate(screen) {
            guard ContinuousClock.now < deadline else { return (false, screen) }
            try await Task.sleep(for: .milliseconds(100))
            screen = try self.screen()
        }
        return (true, screen)
    }

    func kill() {
        _ = try? run(["kill-server"])
    }
}

struct TmuxFailed: Error {
    var arguments: [String]
    var status: Int32
}

struct TmuxMissing: Error, CustomStringConvertible {
    var description: String { "tmux is not installed: the dashboard's end-to-end tests need it (CI installs it)" }
}
