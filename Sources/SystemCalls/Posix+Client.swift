import CSafeGroupSystem
import Glibc

/// The system calls of the client side: connecting viewers, finding services, waiting.
///
/// Kept apart from the server's calls in `Posix.swift`, with the same rules: retry on `EINTR`,
/// read `errno` at once, throw a ``PosixError`` naming the call and its subject.
extension Posix {
    /// A non-blocking Unix stream socket connected to `path`.
    ///
    /// A Unix connect completes or fails at once, even on a non-blocking socket; `EAGAIN` means
    /// the listener's backlog is full, which the caller treats like any other failed attempt.
    package static func connectedSocket(path: String) throws(PosixError) -> Int32 {
        let fd = try unixStreamSocket()
        do {
            try connect(fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// `recv(2)` of what is waiting, naming `path` in errors: nil when nothing is waiting,
    /// 0 when the peer closed.
    package static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(PosixError) -> Int? {
        try nonBlocking("receive from", path) {
            Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        }
    }

    /// The names in directory `path`, without `.` and `..`; nil when there is no such directory.
    package static func directoryEntries(_ path: String) throws(PosixError) -> [String]? {
        guard let directory = Glibc.opendir(path) else {
            let code = Glibc.errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw PosixError(call: "list directory", subject: path, errno: code)
        }
        defer { Glibc.closedir(directory) }
        var names: [String] = []
        while let entry = Glibc.readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Whether `pid` names a live process (`kill(pid, 0)`; a process of another user is alive too).
    package static func isProcessAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if Glibc.kill(pid, 0) == 0 { return true }
        return Glibc.errno == EPERM
    }

    /// Whether a live process holds the lock file at `path`.
    ///
    /// Takes the lock for an instant when nobody holds it, and lets it go at once. Nil when
    /// there is no lock file, or it is a symbolic link (never followed).
    package static func isLockHeld(_ path: String) throws(PosixError) -> Bool? {
        let fd: Int32
        do {
            fd = try open(path, flags: O_RDONLY | O_NOFOLLOW)
        } catch where error.errno == ENOENT || error.errno == ELOOP {
            return nil
        }
        defer { close(fd) }
        return try !tryLockExclusive(fd, path: path)
    }

    /// Waits until `fd` is readable or `timeoutMilliseconds` pass (-1: forever); true when readable.
    package static func waitReadable(_ fd: Int32, timeoutMilliseconds: Int32) throws(PosixError) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return try poll(&fds, timeoutMilliseconds: timeoutMilliseconds) > 0
    }
}

extension Posix {
    /// `rmdir(2)`; a missing directory is not an error.
    package static func rmdir(_ path: String) {
        _ = Glibc.rmdir(path)
    }
}
