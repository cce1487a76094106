import GroupEvents
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every system call the `safegroup` command makes itself (sockets are GroupMonitor's).
///
/// Each wrapper retries on `EINTR`, reads `errno` right after the call, and throws a
/// ``SystemError`` naming the call and its subject.
enum Posix {
    private static func call<T: FixedWidthInteger>(_ name: String, _ subject: String,
                                                  _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(call: name, subject: subject, errno: code)
        }
    }

    /// What kind of thing is at `path` (not following a final symlink); nil when nothing is.
    static func fileType(_ path: String) throws(SystemError) -> mode_t? {
        var st = stat()
        while true {
            // `stat`, not `lstat`: `<(zcat rec.ndjson.gz)` is a /dev/fd/N link to a pipe.
            if stat(path, &st) == 0 { return st.st_mode & S_IFMT }
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw SystemError(call: "read", subject: path, errno: code)
        }
    }

    /// Which file a descriptor or a path is, and how long it is, to tell a file truncated or
    /// replaced under a reader.
    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        func isSameFile(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }
    }

    static func identity(of fd: Int32, subject: String) throws(SystemError) -> FileIdentity {
        var st = stat()
        _ = try call("read", subject) { fstat(fd, &st) }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size))
    }

    /// The identity of what `path` leads to now; nil when nothing is there.
    static func identity(of path: String) throws(SystemError) -> FileIdentity? {
        var st = stat()
        while stat(path, &st) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw SystemError(call: "read", subject: path, errno: code)
        }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size))
    }

    static func openForReading(_ path: String) throws(SystemError) -> Int32 {
        try call("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Creates or truncates `path` for writing, mode 0600: a recording may hold private data.
    ///
    /// Never through a symbolic link at `path` (a link planted where a recording is written
    /// would send it elsewhere), and an existing regular file is narrowed to 0600 too: it may
    /// have been created wider.
    static func createForWriting(_ path: String) throws(SystemError) -> Int32 {
        let fd: Int32
        do {
            fd = try call("create", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        } catch where error.errno == ELOOP {
            throw SystemError(call: "create", subject: path, errno: ELOOP,
                              detail: "it is a symbolic link (give the path of the file itself)")
        }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_mode & 0o777 != 0o600 {
            do {
                _ = try call("set the mode of", path) { fchmod(fd, 0o600) }
            } catch {
                close(fd)
                throw error
            }
        }
        return fd
    }

    /// `read(2)` into `buffer`; 0 at the end of the file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, subject: String) throws(SystemError) -> Int {
        try call("read", subject) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `pread(2)` into `buffer` from `offset`; 0 at the end of the file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, subject: String) throws(SystemError) -> Int {
        try call("read", subject) { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// A new descriptor of the same open file (close-on-exec).
    static func duplicate(_ fd: Int32, subject: String) throws(SystemError) -> Int32 {
        try call("reopen", subject) { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    /// An unnamed temporary file, open for reading and writing: made in `$TMPDIR` (else /tmp)
    /// with mode 0600 and unlinked at once, so it goes away with the last descriptor.
    static func unnamedTemporaryFile() throws(SystemError) -> Int32 {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((directory + "/safegroup-spool-XXXXXX").utf8CString)
        let fd = try template.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(SystemError) -> Int32 in
                try call("create a temporary file in", directory) { mkstemp(buffer.baseAddress!) }
            }
        }.get()
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// Writes all of `bytes`, going on after short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, subject: String) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try call("write", subject) { Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }
        }
    }

    static func close(_ fd: Int32) {
        // Never retried: on Linux the descriptor is gone even when close reports EINTR.
        _ = Glibc.close(fd)
    }

    /// The wall-clock time, in nanoseconds since 1970: a header's epoch is computed from it.
    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    static var pid: Int32 { getpid() }

    /// Sets the disposition of `signal` to ignore, so that a dispatch source alone sees it.
    static func ignore(signal: Int32) {
        Glibc.signal(signal, SIG_IGN)
    }
}

/// A failed system call of the command: which call, on what, and why.
struct SystemError: Error, CustomStringConvertible {
    var call: String
    var subject: String
    var errno: Int32
    /// What to say instead of the errno's text, when that would not tell a person what happened.
    var detail: String?

    init(call: String, subject: String, errno: Int32, detail: String? = nil) {
        self.call = call; self.subject = subject; self.errno = errno; self.detail = detail
    }

    var reason: String { detail ?? String(cString: strerror(errno)) }

    /// For example `cannot read checkout.ndjson: Permission denied`; the subject (a path from
    /// the command line) is sanitized like any text from outside.
    var description: String { "cannot \(call) \(TextSanitizer.sanitize(subject)): \(reason)" }
}
