import CSafeGroupSystem
import Glibc

/// Every system call the package makes, as static throwing wrappers: one layer for every module.
///
/// Each wrapper goes through ``syscall(_:_:_:)``, which retries on `EINTR`, reads `errno`
/// right after the call, and throws a ``PosixError`` naming the call and its subject.
/// Calls that can legitimately "fail" as part of normal non-blocking work (`EAGAIN`) return
/// `nil` instead of throwing. The calls are grouped by concern: this file (the wrapper, clocks,
/// files, sockets, wake-ups, threads, signals), `Posix+Client.swift` (a viewer's side),
/// `Posix+Files.swift` (the command's files), `Posix+Process.swift` (worker processes).
package enum Posix {
    /// Runs `body` until it does not fail with `EINTR`; throws a ``PosixError`` on any other failure.
    @discardableResult
    @inline(__always)
    package static func syscall<T: FixedWidthInteger>(_ call: String, _ subject: @autoclosure () -> String? = nil,
                                             _ body: () -> T) throws(PosixError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw PosixError(call: call, subject: subject(), errno: code)
        }
    }

    /// Like ``syscall(_:_:_:)`` but returns nil for `EAGAIN`/`EWOULDBLOCK`.
    @inline(__always)
    package static func nonBlocking<T: FixedWidthInteger>(_ call: String, _ subject: @autoclosure () -> String? = nil,
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

    // MARK: Identity

    package static var uid: uid_t { getuid() }
    package static var pid: pid_t { getpid() }

    /// Wall-clock time, nanoseconds since the Unix epoch.
    package static func wallClockNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Monotonic time, nanoseconds since an arbitrary origin; for the monitor's and the
    /// supervisor's own deadlines. (Event timestamps are `CLOCK_BOOTTIME`, read by GroupEvents'
    /// `SystemClock` and, in a signal handler, by CSystem.)
    package static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// A duration in nanoseconds, at most a century, never negative: deadlines add it to a
    /// monotonic time, and a timeout such as `.seconds(.max)` must mean "never", not an overflow.
    package static func nanoseconds(_ duration: Duration) -> UInt64 {
        let century: Int64 = 100 * 365 * 86_400
        let (seconds, attoseconds) = duration.components
        guard seconds < century else { return UInt64(century) * 1_000_000_000 }
        return UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }

    // MARK: Files and directories

    /// `fstat(2)`.
    package static func fstat(_ fd: Int32, path: String) throws(PosixError) -> stat {
        var st = stat()
        try syscall("stat", path) { Glibc.fstat(fd, &st) }
        return st
    }

    /// `fchmod(2)`; on an unbound socket it sets the mode the socket file will be created with.
    package static func fchmod(_ fd: Int32, mode: mode_t, subject: String) throws(PosixError) {
        try syscall("chmod", subject) { Glibc.fchmod(fd, mode) }
    }

    /// `lstat(2)`; nil when nothing is at `path`.
    package static func lstat(_ path: String) throws(PosixError) -> stat? {
        var st = stat()
        while true {
            if Glibc.lstat(path, &st) == 0 { return st }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw PosixError(call: "lstat", subject: path, errno: code)
        }
    }

    /// Whether `st` is a real directory (not a link) owned by `uid` with mode 0700: private
    /// enough to hold a monitor's sockets.
    package static func isPrivateDirectory(_ st: stat, uid: uid_t) -> Bool {
        st.st_mode & S_IFMT == S_IFDIR && st.st_uid == uid && st.st_mode & 0o777 == 0o700
    }

    /// `mkdir(2)`; returns false when something already exists at `path`.
    package static func mkdir(_ path: String, mode: mode_t) throws(PosixError) -> Bool {
        while true {
            if Glibc.mkdir(path, mode) == 0 { return true }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == EEXIST { return false }
            throw PosixError(call: "create directory", subject: path, errno: code)
        }
    }

    package static func chmod(_ path: String, mode: mode_t) throws(PosixError) {
        try syscall("chmod", path) { Glibc.chmod(path, mode) }
    }

    package static func rename(_ from: String, to: String) throws(PosixError) {
        try syscall("rename", "\(from) to \(to)") { Glibc.rename(from, to) }
    }

    /// `renameat2(RENAME_NOREPLACE)`: fails with `EEXIST` instead of replacing `to`.
    package static func renameNoReplace(_ from: String, to: String) throws(PosixError) {
        try syscall("rename", "\(from) to \(to)") { csystem_rename_noreplace(from, to) }
    }

    /// `unlink(2)`; a missing file is not an error.
    package static func unlink(_ path: String) throws(PosixError) {
        while true {
            if Glibc.unlink(path) == 0 { return }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == ENOENT { return }
            throw PosixError(call: "remove", subject: path, errno: code)
        }
    }

    /// `open(2)`, always with `O_CLOEXEC`.
    package static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws(PosixError) -> Int32 {
        try syscall("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// `flock(2)` with `LOCK_EX | LOCK_NB`; returns false when another open file holds the lock.
    package static func tryLockExclusive(_ fd: Int32, path: String) throws(PosixError) -> Bool {
        try nonBlocking("lock", path) { csystem_flock_exclusive_nonblocking(fd) } != nil
    }

    package static func close(_ fd: Int32) {
        // Never retry close on EINTR: on Linux the descriptor is gone either way.
        _ = Glibc.close(fd)
    }

    /// `write(2)` of the whole buffer; returns the bytes written (a short count only for EAGAIN).
    package static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, subject: String) throws(PosixError) -> Int {
        var done = 0
        while done < bytes.count {
            let n = try nonBlocking("write", subject) {
                Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            }
            guard let n else { break }
            done += n
        }
        return done
    }

    // MARK: Sockets

    /// A non-blocking, close-on-exec Unix stream socket.
    package static func unixStreamSocket() throws(PosixError) -> Int32 {
        try syscall("create socket") {
            Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | csystem_sock_nonblock_cloexec(), 0)
        }
    }

    /// The longest socket path, in bytes, that a `sockaddr_un` holds with its terminating NUL (107 on Linux).
    package static let maxSocketPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Fills a `sockaddr_un` with a filesystem path (never the abstract namespace).
    package static func withAddress<R>(_ path: String, call: String,
                               _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(PosixError) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes[0] != 0, bytes.count < capacity else {
            throw PosixError(call: call, subject: path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    package static func bind(_ fd: Int32, path: String) throws(PosixError) {
        let result = try withAddress(path, call: "bind") { Glibc.bind(fd, $0, $1) }
        if result != 0 { throw PosixError(call: "bind", subject: path, errno: Glibc.errno) }
    }

    package static func listen(_ fd: Int32, backlog: Int32, path: String) throws(PosixError) {
        try syscall("listen on", path) { Glibc.listen(fd, backlog) }
    }

    /// `connect(2)`; for a non-blocking socket a Unix connect completes or fails at once.
    package static func connect(_ fd: Int32, path: String) throws(PosixError) {
        while true {
            let result = try withAddress(path, call: "connect to") { Glibc.connect(fd, $0, $1) }
            if result == 0 { return }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw PosixError(call: "connect to", subject: path, errno: code)
        }
    }

    /// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`; nil when no connection is pending.
    package static func accept(_ fd: Int32, path: String) throws(PosixError) -> Int32? {
        while true {
            let result = csystem_accept4(fd, csystem_sock_nonblock_cloexec())
            if result >= 0 { return result }
            let code = Glibc.errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            // The peer gave up before we accepted it: not our failure, try the next one.
            case ECONNABORTED, EPROTO: continue
            default: throw PosixError(call: "accept on", subject: path, errno: code)
            }
        }
    }

    /// `send(2)` with `MSG_NOSIGNAL | MSG_DONTWAIT`; nil when the socket buffer is full.
    package static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(PosixError) -> Int? {
        try nonBlocking("send to", "viewer fd \(fd)") {
            Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
    }

    /// `recv(2)`; nil when nothing is waiting, 0 when the peer closed.
    package static func recv(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> Int? {
        try nonBlocking("receive from", "fd \(fd)") {
            Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        }
    }

    /// The credentials of the peer of a connected Unix socket.
    package static func peerCredentials(_ fd: Int32) throws(PosixError) -> csystem_peer_credentials {
        var credentials = csystem_peer_credentials()
        try syscall("read SO_PEERCRED of", "fd \(fd)") { csystem_peer_credentials_get(fd, &credentials) }
        return credentials
    }

    /// `poll(2)`; returns the number of ready descriptors (0 on timeout).
    package static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(PosixError) -> Int {
        let count = nfds_t(fds.count)
        let n = try fds.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) -> Int32 in
            try nonBlocking("poll") { Glibc.poll(buffer.baseAddress, count, timeoutMilliseconds) } ?? 0
        }
        return Int(n)
    }

    // MARK: Wake-ups

    /// A non-blocking, close-on-exec eventfd.
    package static func eventfd() throws(PosixError) -> Int32 {
        try syscall("create eventfd") { csystem_eventfd() }
    }

    /// Adds one to an eventfd; never blocks (a full counter already means "wake up").
    package static func signal(eventfd fd: Int32) {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    /// Resets an eventfd to zero.
    package static func drain(eventfd fd: Int32) {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }

    // MARK: Threads

    /// Blocks SIGPIPE in the calling thread alone; dispositions are never changed.
    package static func blockSIGPIPEInThisThread() { csystem_block_sigpipe_in_thread() }

    /// Takes a SIGPIPE left pending on this thread by a write to a closed pipe.
    package static func consumePendingSIGPIPE() { csystem_consume_pending_sigpipe() }

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts a joinable pthread running `body`, named `name` (15 bytes at most) for `top -H` and gdb.
    ///
    /// - Parameters:
    ///   - stackSize: the thread's stack in bytes; nil for the system's default.
    ///   - alternateSignalStack: whether the thread gets an alternate signal stack (with a guard
    ///     page), so that a stack overflow on it still reaches a crash handler.
    package static func startThread(name: String, stackSize: Int? = nil, alternateSignalStack: Bool = false,
                            _ body: @escaping @Sendable () -> Void) throws(PosixError) -> pthread_t {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody({
            csystem_set_thread_name(name)
            if alternateSignalStack { _ = csystem_install_alternate_signal_stack() }
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

    /// Whether the calling thread is the process's main thread.
    package static var isMainThread: Bool { csystem_gettid() == getpid() }

    /// Lets a thread's resources go when it ends, without a join.
    package static func detach(_ thread: pthread_t) {
        pthread_detach(thread)
    }

    package static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}

extension Posix {
    // MARK: The crash handler

    /// Installs CSystem's crash handler (`sigaction` for six signals), once per process.
    /// Installs the crash handler for all six signals, or for none.
    ///
    /// - Throws: ``PosixError`` naming `sigaction` and the signal it failed for (the handlers
    ///   already replaced are put back; a later call tries again).
    package static func installCrashHandler(epochOffsetNanoseconds: UInt64) throws(PosixError) {
        var failed: Int32 = 0
        guard csystem_crash_install(epochOffsetNanoseconds, &failed) == 0 else {
            let code = Glibc.errno
            throw PosixError(call: "sigaction", subject: "\(signalName(failed)) for the crash handler (no signal was left handled)", errno: code)
        }
    }

    /// Installs the SIGUSR1 snapshot handler where SIGUSR1 has its default action; false when
    /// the host has its own handler (or ignores it), which is left alone.
    package static func installSnapshotSignal() throws(PosixError) -> Bool {
        switch csystem_snapshot_signal_install() {
        case 1: return true
        case 0: return false
        default: throw PosixError(call: "sigaction", subject: "SIGUSR1 for black box snapshots", errno: Glibc.errno)
        }
    }

    /// Has the SIGUSR1 handler write to eventfd `fd` on each signal; the slot, or nil when full.
    package static func wakeOnSnapshotSignal(_ fd: Int32) -> Int32? {
        let slot = csystem_snapshot_signal_add(fd)
        return slot >= 0 ? slot : nil
    }

    package static func stopWakingOnSnapshotSignal(slot: Int32) { csystem_snapshot_signal_remove(slot) }

    /// How many SIGUSR1s the snapshot handler has taken.
    package static var snapshotSignals: UInt64 { csystem_snapshot_signal_count() }

    /// `SIGSEGV` for 11, and so on for the signals a process dies of; else `signal N`.
    ///
    /// The one table of signal names on the Swift side (the crash handler, in C, has its own:
    /// it cannot call Swift).
    package static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}

extension Posix {
    /// Sleeps the calling thread (`nanosleep`, resumed after a signal).
    package static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && Glibc.errno == EINTR { request = remaining }
    }
}
