import CSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every system call GroupIsolation makes, as static throwing wrappers.
///
/// Each wrapper retries on `EINTR`, reads `errno` right after the call, and throws a
/// ``PosixError`` naming the call. Non-blocking reads and writes return nil for `EAGAIN`.
enum Posix {
    @discardableResult
    @inline(__always)
    static func syscall<T: FixedWidthInteger>(_ call: String, _ subject: @autoclosure () -> String? = nil,
                                             _ body: () -> T) throws(PosixError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw PosixError(call: call, subject: subject(), errno: code)
        }
    }

    @inline(__always)
    static func nonBlocking<T: FixedWidthInteger>(_ call: String, _ subject: @autoclosure () -> String? = nil,
                                                 _ body: () -> T) throws(PosixError) -> T? {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw PosixError(call: call, subject: subject(), errno: code)
        }
    }

    static var pid: pid_t { getpid() }

    /// Monotonic time in nanoseconds, for the supervisor's deadlines.
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    // MARK: Descriptors

    /// A pipe whose two ends are close-on-exec: (read end, write end).
    static func pipe() throws(PosixError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try fds.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) in
            try syscall("create pipe") { csystem_pipe_cloexec(buffer.baseAddress!) }
        }
        return (fds[0], fds[1])
    }

    /// A connected pair of close-on-exec Unix stream sockets.
    static func socketPair() throws(PosixError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try fds.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) in
            try syscall("create socket pair") { csystem_socketpair_cloexec(buffer.baseAddress!) }
        }
        return (fds[0], fds[1])
    }

    /// `send(2)` with `MSG_NOSIGNAL | MSG_DONTWAIT` of as much of `bytes` as fits now; returns
    /// the count sent (0 when the socket is full). A closed peer is `EPIPE`, never SIGPIPE:
    /// callers write from threads that are not ours to change the signal mask of.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(PosixError) -> Int {
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
    static func moveAbove(_ fd: Int32, minimum: Int32) throws(PosixError) -> Int32 {
        let moved = try syscall("duplicate", "fd \(fd)") { csystem_dup_cloexec_above(fd, minimum) }
        close(fd)
        return moved
    }

    static func setNonBlocking(_ fd: Int32) throws(PosixError) {
        try syscall("make non-blocking", "fd \(fd)") { csystem_set_nonblocking(fd) }
    }

    static func setCloseOnExec(_ fd: Int32) throws(PosixError) {
        try syscall("set close-on-exec on", "fd \(fd)") { csystem_set_cloexec(fd, 1) }
    }

    /// Whether `fd` is an open descriptor.
    static func isOpen(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) != -1
    }

    static func close(_ fd: Int32) {
        // Never retry close on EINTR: on Linux the descriptor is gone either way.
        _ = Glibc.close(fd)
    }

    /// `read(2)`; nil when nothing is waiting (non-blocking), 0 at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> Int? {
        try nonBlocking("read from", "fd \(fd)") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads exactly `count` bytes from a blocking descriptor; nil at end of file.
    static func readExactly(_ fd: Int32, count: Int) throws(PosixError) -> [UInt8]? {
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
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(PosixError) {
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeBufferPointer { (buffer) throws(PosixError) -> Int in
                try syscall("write to", "fd \(fd)") { Glibc.write(fd, buffer.baseAddress! + done, bytes.count - done) }
            }
            done += n
        }
    }

    /// `poll(2)`; returns the number of ready descriptors (0 on timeout).
    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(PosixError) -> Int {
        let count = nfds_t(fds.count)
        let n = try fds.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) -> Int32 in
            try nonBlocking("poll") { Glibc.poll(buffer.baseAddress, count, timeoutMilliseconds) } ?? 0
        }
        return Int(n)
    }

    // MARK: Wake-ups

    static func eventfd() throws(PosixError) -> Int32 {
        try syscall("create eventfd") { csystem_eventfd() }
    }

    static func signal(eventfd fd: Int32) {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    static func drain(eventfd fd: Int32) {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }

    // MARK: Processes

    /// The descriptors a spawned worker gets, besides stdin from /dev/null.
    struct ChildDescriptors {
        /// Becomes the child's stdout and stderr.
        var output: Int32
        /// Becomes the child's fd 3 (it reads jobs there).
        var requests: Int32
        /// Becomes the child's fd 4 (it writes replies there).
        var replies: Int32
    }

    /// `posix_spawn(2)` of `executable` in its own process group, with default signal
    /// dispositions and an empty signal mask, and no descriptor but 0-4 inherited.
    static func spawn(_ executable: String, arguments: [String], environment: [String],
                      descriptors: ChildDescriptors) throws(PosixError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        try check("spawn (file actions)", executable, posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check("spawn (stdin)", executable, posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0))
        try check("spawn (stdout)", executable, posix_spawn_file_actions_adddup2(&actions, descriptors.output, 1))
        try check("spawn (stderr)", executable, posix_spawn_file_actions_adddup2(&actions, descriptors.output, 2))
        try check("spawn (requests)", executable, posix_spawn_file_actions_adddup2(&actions, descriptors.requests, 3))
        try check("spawn (replies)", executable, posix_spawn_file_actions_adddup2(&actions, descriptors.replies, 4))
        // Whatever the service has open (sockets of viewers, files) stays out of the worker,
        // close-on-exec or not.
        try check("spawn (close others)", executable, csystem_spawn_file_actions_addclosefrom(&actions, 5))

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
        try check("spawn worker", executable, result)
        return pid
    }

    private static func check(_ call: String, _ subject: String, _ result: Int32) throws(PosixError) {
        if result != 0 { throw PosixError(call: call, subject: subject, errno: result) }
    }

    /// How a process ended.
    enum Exit: Hashable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// `waitpid(pid, WNOHANG)`: nil while the process runs.
    static func reap(_ pid: pid_t) throws(PosixError) -> Exit? {
        var status: Int32 = 0
        let result = try syscall("wait for", "process \(pid)") { waitpid(pid, &status, WNOHANG) }
        if result == 0 { return nil }
        let decoded = csystem_wait_status_decode(status)
        return decoded < 0 ? .signalled(-decoded) : .exited(decoded)
    }

    /// `waitpid(pid, 0)`: blocks until the process has ended.
    /// Whether child `pid` has ended, leaving it unreaped (its pid stays its own until ``reap(_:)``).
    static func hasEnded(_ pid: pid_t) throws(PosixError) -> Bool {
        try syscall("wait for", "process \(pid)") { csystem_child_has_ended(pid) } == 1
    }

    static func reapBlocking(_ pid: pid_t) throws(PosixError) -> Exit {
        var status: Int32 = 0
        try syscall("wait for", "process \(pid)") { waitpid(pid, &status, 0) }
        let decoded = csystem_wait_status_decode(status)
        return decoded < 0 ? .signalled(-decoded) : .exited(decoded)
    }

    /// Sends SIGKILL; a process that is already gone is not an error.
    static func kill(_ pid: pid_t) {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Sends SIGKILL to process group `group` (a worker's own group: what its jobs left behind).
    static func killGroup(_ group: pid_t) {
        _ = Glibc.kill(-group, SIGKILL)
    }

    /// Writes `bytes` (at most `PIPE_BUF`) to `fd` only if that cannot block: false when `fd`
    /// is not writable now (a stalled reader) or the write failed. Never blocks; `fd` keeps its
    /// flags (a shared standard error must not be made non-blocking for everyone).
    static func writeIfReady(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var entry = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
        guard (try? poll(&entry, timeoutMilliseconds: 0)) == 1, entry[0].revents & Int16(POLLOUT) != 0 else { return false }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count
    }

    /// This process's environment, as `KEY=value` strings.
    static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    static func getenv(_ name: String) -> String? {
        Glibc.getenv(name).map { String(cString: $0) }
    }

    static func unsetenv(_ name: String) {
        _ = Glibc.unsetenv(name)
    }

    // MARK: Threads

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts a detached pthread named `name` with a stack of `stackSize` bytes and an alternate
    /// signal stack, so that a stack overflow on it still reaches the crash handler.
    static func startThread(name: String, stackSize: Int, alternateSignalStack: Bool,
                            _ body: @escaping @Sendable () -> Void) throws(PosixError) -> pthread_t {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody({
            csystem_set_thread_name(name)
            if alternateSignalStack { _ = csystem_install_alternate_signal_stack(64 * 1024) }
            body()
        })).toOpaque()
        let result = pthread_create(&thread, &attributes, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw PosixError(call: "start thread", subject: name, errno: result)
        }
        return thread
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }

    /// Whether the calling thread is the process's main thread.
    static var isMainThread: Bool { csystem_gettid() == getpid() }

    /// Lets `thread` end without a join (its resources go when it ends).
    static func detach(_ thread: pthread_t) {
        pthread_detach(thread)
    }

    /// Asks for SIGKILL when the thread that spawned this process ends.
    static func dieWithParent() throws(PosixError) {
        try syscall("set the parent-death signal") { csystem_set_parent_death_signal(SIGKILL) }
    }

    static var parentPID: pid_t { getppid() }

    static func lineBufferStandardOutput() { csystem_line_buffer_stdout() }

    static func blockSIGPIPEInThisThread() { csystem_block_sigpipe_in_thread() }
}
