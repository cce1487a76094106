import Foundation
import Glibc

/// The directory of the built products: a test bundle sits beside the package's executables.
public let productsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

/// Held from making a child's pipes to spawning it, so that no other child inherits them.
private let spawning = NSLock()

/// A child process for a test: the one process runner of every test target.
///
/// Started with `posix_spawn` and reaped with `waitpid`, not Foundation's `Process`: the exact
/// wait status (the signal it died of) stays visible, and no wait hangs on a child whose own
/// children (a monitor's workers) keep Foundation's termination pipe open.
///
/// Standard output and standard error go to files in a scratch directory (no pipe can fill and
/// block it), unless standard output is a pipe read line by line (`output: .lines`). Standard
/// input is /dev/null, or a pipe to ``send(_:)`` lines to (`input: true`).
public final class ChildProcess {
    /// Where standard output goes.
    public enum Output: Sendable {
        /// To a file, read with ``outputSoFar`` or ``result``.
        case file
        /// To a pipe, read with ``readLine()`` and ``readToEnd()``.
        case lines
    }

    /// The child's pid.
    public let pid: pid_t
    /// The path of the executable and its arguments, for messages.
    public let executablePath: String
    public let arguments: [String]
    /// The file standard error goes to.
    public let errorsPath: String
    private let outPath: String
    private let inputFD: Int32
    private let outputFD: Int32
    private var pending: [UInt8] = []
    private var rawStatus: Int32?

    /// Starts `executable` (a name in ``productsDirectory``, or an absolute path) with
    /// `arguments`, in the current environment less `removed` plus `environment`.
    /// `mergingErrors` sends standard error where standard output goes.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                removing removed: [String] = [], in directory: ScratchDirectory,
                input: Bool = false, output: Output = .file, mergingErrors: Bool = false) throws {
        let id = UUID().uuidString
        outPath = directory.file("out-\(id)")
        errorsPath = mergingErrors && output == .file ? outPath : directory.file("err-\(id)")
        executablePath = executable.hasPrefix("/") ? executable : productsDirectory.appendingPathComponent(executable).path
        self.arguments = arguments

        // Close-on-exec, so that another test's child does not inherit them and hold them open
        // (pipe2 is not imported from Glibc: fcntl after pipe, and no spawn in between).
        spawning.lock()
        defer { spawning.unlock() }
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        if input { guard pipe(&inPipe) == 0 else { throw POSIXError(.EMFILE) } }
        if output == .lines {
            guard pipe(&outPipe) == 0 else {
                if input { close(inPipe[0]); close(inPipe[1]) }
                throw POSIXError(.EMFILE)
            }
        }
        for fd in inPipe + outPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input { posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0) }
        else { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        if output == .lines { posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1) }
        else { posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        if mergingErrors { posix_spawn_file_actions_adddup2(&actions, 1, 2) }
        else { posix_spawn_file_actions_addopen(&actions, 2, errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        // The child starts with no signal blocked and every signal at its default, whatever the
        // test process blocks or ignores (Foundation's Process did the same).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var merged = ProcessInfo.processInfo.environment
        for key in removed { merged[key] = nil }
        for (key, value) in environment { merged[key] = value }
        let argv = ([executablePath] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executablePath, &actions, &attributes, argv, envp)
        if input { close(inPipe[0]) }
        if output == .lines { close(outPipe[1]) }
        guard spawned == 0 else {
            if input { close(inPipe[1]) }
            if output == .lines { close(outPipe[0]) }
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL)
        }
        pid = child
        inputFD = inPipe[1]
        outputFD = outPipe[0]
        // Writing to a child that is gone must fail with EPIPE, not kill the test process.
        if input { _ = Glibc.signal(SIGPIPE, SIG_IGN) }
    }

    // MARK: Input and output

    /// Writes one line to its standard input (`input: true`).
    public func send(_ line: String) {
        precondition(inputFD >= 0, "ChildProcess started without input: true")
        let bytes = Array((line + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            written += n
        }
    }

    /// The next line it prints (`output: .lines`), without its newline; nil at the end of its output.
    public func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            guard fill() else { return nil }
        }
    }

    /// Everything it prints from here to the end of its output (`output: .lines`).
    public func readToEnd() -> String {
        while fill() {}
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Reads one chunk of the output pipe into `pending`; false at its end.
    private func fill() -> Bool {
        precondition(outputFD >= 0, "ChildProcess started without output: .lines")
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            pending.append(contentsOf: buffer[..<n])
            return true
        }
    }

    /// What it has written to standard output (`output: .file`) and standard error so far.
    public var outputSoFar: String { String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self) }
    public var errorsSoFar: String { String(decoding: FileManager.default.contents(atPath: errorsPath) ?? Data(), as: UTF8.self) }

    // MARK: Its end

    /// Whether it still runs (it is reaped as soon as it is seen to have ended).
    public var isRunning: Bool {
        if rawStatus != nil { return false }
        var raw: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &raw, WNOHANG) } while reaped == -1 && errno == EINTR
        if reaped == pid { rawStatus = raw }
        return rawStatus == nil
    }

    /// Sends it `signal`, if it still runs.
    public func signal(_ signal: Int32) {
        if isRunning { Glibc.kill(pid, signal) }
    }

    /// Sends it SIGTERM, if it still runs.
    public func terminate() { signal(SIGTERM) }

    /// Kills it with SIGKILL if it still runs, without waiting (for `defer`).
    public func kill() { signal(SIGKILL) }

    /// Blocks until it ends; returns its raw wait status.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        if let rawStatus { return rawStatus }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        rawStatus = raw
        return raw
    }

    /// Waits for its end, at most `limit`; false (and the process killed) when it ran over.
    public func waitForExit(within limit: Duration = .seconds(20)) async -> Bool {
        let ended = await eventually(within: limit) { !isRunning }
        if !ended { kill() }
        waitUntilExit()
        return ended
    }

    /// The signal that ended it, or nil when it exited (waits for its end).
    public var terminatingSignal: Int32? {
        // WIFSIGNALED / WTERMSIG, spelled out: Glibc's macros are not imported.
        let signal = waitUntilExit() & 0x7F
        return signal != 0 && signal != 0x7F ? signal : nil
    }

    /// Its exit status, or nil when a signal ended it (waits for its end).
    public var exitStatus: Int32? {
        let raw = waitUntilExit()
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : nil
    }

    /// Its exit status, or the number of the signal that ended it (waits for its end).
    public var status: Int32 { exitStatus ?? terminatingSignal ?? -1 }

    /// Its status, as ``status``, and everything it wrote (`output: .file`), once it has ended.
    public var result: (status: Int32, stdout: Data, stderr: Data) {
        (status, FileManager.default.contents(atPath: outPath) ?? Data(),
         FileManager.default.contents(atPath: errorsPath) ?? Data())
    }

    deinit {
        if rawStatus == nil {
            Glibc.kill(pid, SIGKILL)
            waitUntilExit()
        }
        if inputFD >= 0 { close(inputFD) }
        if outputFD >= 0 { close(outputFD) }
    }
}
