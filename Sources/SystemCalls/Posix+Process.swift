import CSafeGroupSystem
import Glibc

/// The system calls of worker processes: pipes, spawning, reaping, the worker's own setup.
///
/// The same rules as every wrapper in `Posix.swift`: retry on `EINTR`, read `errno` at once,
/// throw a ``PosixError`` naming the call. Non-blocking reads and writes return nil for `EAGAIN`.
extension Posix {
    // MARK: Descriptors

    /// A pipe whose two ends are close-on-exec: (read end, write end).
    package static func pipe() throws(PosixError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try fds.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) in
            try syscall("create pipe") { csystem_pipe_cloexec(buffer.baseAddress!) }
        }
        return (fds[0], fds[1])
    }

    /// A connected pair of close-on-exec Unix stream sockets.
    package static func socketPair() throws(PosixError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try fds.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) in
            try syscall("create socket pair") { csystem_socketpair_cloexec(buffer.baseAddress!) }
        }
        return (fds[0], fds[1])
    }

    /// `send(2)` with `MSG_NOSIGNAL | MSG_DONTWAIT` of as much of `bytes` as fits now; returns
    /// the count sent (0 when the socket is full). A closed peer is `EPIPE`, never SIGPIPE:
    /// callers write from threads that are not ours to change the signal mask of.
    package static func sendAvailable(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(PosixError) -> Int {
        var done = 0
        while done < bytes.count {
            let n = try nonBlocking("send to", "fd \(fd)") { csystem_send_nosignal(fd, bytes.baseAddress! + done, UInt(bytes.count - done)) }
            guard let n else { break }
            done += n
        }
        return done
    }

    /// A close-on-exec duplicate of `fd` numbered at least `minimum`; closes `fd` then. On a
    /// failure `fd` stays open (the caller, who owns it, closes it once).
    package static func moveAbove(_ fd: Int32, minimum: Int32) throws(PosixError) -> Int32 {
        let moved = try syscall("duplicate", "fd \(fd)") { csystem_dup_cloexec_above(fd, minimum) }
        close(fd)
        return moved
    }

    package static func setNonBlocking(_ fd: Int32) throws(PosixError) {
        try syscall("make non-blocking", "fd \(fd)") { csystem_set_nonblocking(fd) }
    }

    package static func setCloseOnExec(_ fd: Int32) throws(PosixError) {
        try syscall("set close-on-exec on", "fd \(fd)") { csystem_set_cloexec(fd, 1) }
    }

    /// Whether `fd` is an open descriptor.
    package static func isOpen(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) != -1
    }

    /// `read(2)`; nil when nothing is waiting (non-blocking), 0 at end of file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> Int? {
        try nonBlocking("read from", "fd \(fd)") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads exactly `count` bytes from a blocking descriptor; nil at end of file.
    package static func readExactly(_ fd: Int32, count: Int) throws(PosixError) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try bytes.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) -> Int in
                try syscall("read from", "fd \(fd)") { Glibc.read(fd, buffer.baseAddress! + done, count - done) }
            }
            if n == 0 { return nil }
            done += n
        }
        return bytes
    }

    /// Writes all of `bytes` to a blocking descriptor.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(PosixError) {
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeBufferPointer { (buffer) throws(PosixError) -> Int in
                try syscall("write to", "fd \(fd)") { Glibc.write(fd, buffer.baseAddress! + done, bytes.count - done) }
            }
            done += n
        }
    }

    // MARK: Processes

    /// The descriptors a spawned worker gets, besides stdin from /dev/null.
    package struct ChildDescriptors {
        /// Becomes the child's stdout and stderr.
        package var output: Int32
        /// Becomes the child's fd 3 (it reads jobs there).
        package var requests: Int32
        /// Becomes the child's fd 4 (it writes replies there).
        package var replies: Int32

        package init(output: Int32, requests: Int32, replies: Int32) {
            self.output = output
            self.requests = requests
            self.replies = replies
        }
    }

    /// `posix_spawn(2)` of `executable` in its own process group, with default signal
    /// dispositions and an empty signal mask, and no descriptor but 0-4 inherited.
    package static func spawn(_ executable: String, arguments: [String], environment: [String],
                      descriptors: ChildDescriptors) throws(PosixError) -> pid_t {
        try spawn(executable, arguments: arguments, environment: environment,
                  descriptors: [descriptors.output, descriptors.output, descriptors.requests, descriptors.replies], what: "worker")
    }

    /// `posix_spawn(2)` of a helper command (the user's `ssh`), as ``spawn(_:arguments:environment:descriptors:)``
    /// spawns a worker: stdin `standardInput` (default /dev/null), `standardOutput` and
    /// `standardError` as its 1 and 2, nothing else inherited.
    package static func spawnCommand(_ executable: String, arguments: [String], environment: [String], standardInput: Int32? = nil,
                                     standardOutput: Int32, standardError: Int32) throws(PosixError) -> pid_t {
        try spawn(executable, arguments: arguments, environment: environment,
                  descriptors: [standardOutput, standardError], input: standardInput, what: "command")
    }

    /// The spawn of both: `descriptors` become the child's fds 1, 2, 3… in order.
    private static func spawn(_ executable: String, arguments: [String], environment: [String],
                              descriptors: [Int32], input: Int32? = nil, what: String) throws(PosixError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        try check("spawn (file actions)", executable, posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            try check("spawn (stdin)", executable, posix_spawn_file_actions_adddup2(&actions, input, 0))
        } else {
            try check("spawn (stdin)", executable, posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0))
        }
        for (index, fd) in descriptors.enumerated() {
            try check("spawn (fd \(index + 1))", executable, posix_spawn_file_actions_adddup2(&actions, fd, Int32(index + 1)))
        }
        // Whatever the service has open (sockets of viewers, files) stays out of the child,
        // close-on-exec or not.
        try check("spawn (close others)", executable, csystem_spawn_file_actions_addclosefrom(&actions, Int32(descriptors.count + 1)))

        var attributes = posix_spawnattr_t()
        try check("spawn (attributes)", executable, posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        try check("spawn (signal mask)", executable, posix_spawnattr_setsigmask(&attributes, &empty))
        try check("spawn (signal defaults)", executable, posix_spawnattr_setsigdefault(&attributes, &all))
        // Its own process group: a Ctrl-C at the service's terminal is the service's to handle.
        try check("spawn (process group)", executable, posix_spawnattr_setpgroup(&attributes, 0))
        let flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        try check("spawn (flags)", executable, posix_spawnattr_setflags(&attributes, Int16(flags)))

        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        try check("spawn \(what)", executable, result)
        return pid
    }

    private static func check(_ call: String, _ subject: String, _ result: Int32) throws(PosixError) {
        if result != 0 { throw PosixError(call: call, subject: subject, errno: result) }
    }

    /// How a process ended.
    package enum Exit: Hashable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// `waitpid(pid, WNOHANG)`: nil while the process runs.
    package static func reap(_ pid: pid_t) throws(PosixError) -> Exit? {
        var status: Int32 = 0
        let result = try syscall("wait for", "process \(pid)") { waitpid(pid, &status, WNOHANG) }
        if result == 0 { return nil }
        let decoded = csystem_wait_status_decode(status)
        return decoded < 0 ? .signalled(-decoded) : .exited(decoded)
    }

    /// `waitpid(pid, 0)`: blocks until the process has ended.
    /// Whether child `pid` has ended, leaving it unreaped (its pid stays its own until ``reap(_:)``).
    package static func hasEnded(_ pid: pid_t) throws(PosixError) -> Bool {
        try syscall("wait for", "process \(pid)") { csystem_child_has_ended(pid) } == 1
    }

    package static func reapBlocking(_ pid: pid_t) throws(PosixError) -> Exit {
        var status: Int32 = 0
        try syscall("wait for", "process \(pid)") { waitpid(pid, &status, 0) }
        let decoded = csystem_wait_status_decode(status)
        return decoded < 0 ? .signalled(-decoded) : .exited(decoded)
    }

    /// Sends SIGKILL; a process that is already gone is not an error.
    package static func kill(_ pid: pid_t) {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Sends SIGKILL to process group `group` (a worker's own group: what its jobs left behind).
    package static func killGroup(_ group: pid_t) {
        _ = Glibc.kill(-group, SIGKILL)
    }

    /// Writes `bytes` (at most `PIPE_BUF`) to `fd` only if that cannot block: false when `fd`
    /// is not writable now (a stalled reader) or the write failed. Never blocks; `fd` keeps its
    /// flags (a shared standard error must not be made non-blocking for everyone).
    package static func writeIfReady(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var entry = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
        guard (try? poll(&entry, timeoutMilliseconds: 0)) == 1, entry[0].revents & Int16(POLLOUT) != 0 else { return false }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count
    }

    /// This process's environment, as `KEY=value` strings.
    package static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    /// The first executable file called `name` in `$PATH`, as a shell would find it; nil when none.
    package static func executableInPath(_ name: String) -> String? {
        let path = getenv("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    package static func getenv(_ name: String) -> String? {
        Glibc.getenv(name).map { String(cString: $0) }
    }

    package static func unsetenv(_ name: String) {
        _ = Glibc.unsetenv(name)
    }

    // MARK: A worker's own setup

    /// Asks for SIGKILL when the thread that spawned this process ends.
    package static func dieWithParent() throws(PosixError) {
        try syscall("set the parent-death signal") { csystem_set_parent_death_signal(SIGKILL) }
    }

    package static var parentPID: pid_t { getppid() }

    package static func lineBufferStandardOutput() { csystem_line_buffer_stdout() }
}
