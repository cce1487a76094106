import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid`, so that its exact
/// wait status (the signal it died of) can be checked. Foundation's `Process` hangs waiting
/// for a process that runs a monitor, and turns signals into plain statuses.
final class SpawnedProcess {
    let pid: pid_t
    private let stdinFD: Int32
    private let stdoutFD: Int32
    private var pending: [UInt8] = []
    private var status: Int32?

    /// Starts `executable` with `arguments`, the current environment plus `environment`, and
    /// standard error written to `stderrPath`.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stderrPath: String) throws {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        for fd in input + output { posix_spawn_file_actions_addclose(&actions, fd) }

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(input[0])
        close(output[1])
        guard result == 0 else {
            close(input[1]); close(output[0])
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL)
        }
        pid = child
        stdinFD = input[1]
        stdoutFD = output[0]
    }

    /// Writes one line to the child's standard input.
    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
    }

    /// The next line the child prints, or nil at the end of its output.
    func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            pending.append(contentsOf: buffer[..<n])
        }
    }

    /// Waits for the child to end; returns its raw wait status.
    @discardableResult
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        status = raw
        return raw
    }

    /// The signal that ended the child, or nil when it exited.
    var terminatingSignal: Int32? {
        let raw = wait()
        // WIFSIGNALED / WTERMSIG, spelled out: Glibc's macros are not imported.
        let signal = raw & 0x7F
        return signal != 0 && signal != 0x7F ? signal : nil
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            wait()
        }
        close(stdinFD)
        close(stdoutFD)
    }
}
