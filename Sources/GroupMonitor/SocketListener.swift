import Glibc
import SystemCalls

/// A listening Unix stream socket at a filesystem path, guarded by a lock file.
///
/// `<path>.lock` is opened (never through a symlink) and locked with `flock(LOCK_EX|LOCK_NB)`
/// for the listener's whole life. Holding the lock is what makes replacing a socket file safe:
/// a socket left by a killed process (its lock died with it) is replaced; a live owner's lock
/// makes us refuse. The socket is bound under a temporary name in the same directory, set to
/// mode 0600, and renamed into place, so it is never reachable with a wider mode and the
/// process umask is never touched.
final class SocketListener {
    /// The listening socket's path.
    let path: String
    /// The lock file's path, `<path>.lock`.
    let lockPath: String
    /// The listening descriptor (non-blocking).
    let fd: Int32
    private let lockFD: Int32
    private var removed = false

    /// The connection backlog.
    static let backlog: Int32 = 128

    private init(path: String, lockPath: String, fd: Int32, lockFD: Int32) {
        self.path = path; self.lockPath = lockPath; self.fd = fd; self.lockFD = lockFD
    }

    /// Takes the lock of `path` and listens there, replacing a stale socket.
    static func open(path: String) throws(MonitorError) -> SocketListener {
        // Checked before anything is created: bound under a shorter temporary name and renamed,
        // a longer path would be served where no client can connect.
        guard path.utf8.count <= Posix.maxSocketPathBytes else {
            throw MonitorError(.socketPathTooLong, path: path,
                "cannot serve \(path): the path is \(path.utf8.count) bytes, longer than the \(Posix.maxSocketPathBytes) bytes a Unix socket address holds (choose a shorter path, or a shorter \(SocketPath.environmentVariable) or XDG_RUNTIME_DIR)")
        }
        let lockPath = path + ".lock"
        let lockFD = try takeLock(path: path, lockPath: lockPath)
        do {
            try checkReplaceable(path)
            let fd = try bindListening(path: path)
            return SocketListener(path: path, lockPath: lockPath, fd: fd, lockFD: lockFD)
        } catch {
            Posix.close(lockFD)
            throw error
        }
    }

    private static func takeLock(path: String, lockPath: String) throws(MonitorError) -> Int32 {
        while true {
            let lockFD: Int32
            do {
                lockFD = try Posix.open(lockPath, flags: O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
            } catch where error.errno == ELOOP {
                throw MonitorError(.unsafeSocketPath, path: path,
                    "refusing socket path \(path): its lock file \(lockPath) is a symbolic link (remove it, or choose another path)")
            } catch {
                throw MonitorError(error, path: lockPath)
            }
            let locked: Bool
            do { locked = try Posix.tryLockExclusive(lockFD, path: lockPath) } catch {
                Posix.close(lockFD)
                throw MonitorError(error, path: lockPath)
            }
            guard locked else {
                Posix.close(lockFD)
                throw MonitorError(.alreadyRunning, path: path,
                    "cannot serve \(path): another live process holds its lock \(lockPath) (stop that service, or give this one another path with the socket argument or \(SocketPath.environmentVariable))")
            }
            // The previous owner may have removed the lock file between our open and our lock:
            // then we locked an orphan. Retry until the file at lockPath is the one we hold.
            if let held = try? Posix.fstat(lockFD, path: lockPath), let current = try? Posix.lstat(lockPath),
               current.st_ino == held.st_ino, current.st_dev == held.st_dev {
                return lockFD
            }
            Posix.close(lockFD)
        }
    }

    /// Refuses anything at `path` but a socket (which, holding the lock, we know to be stale).
    private static func checkReplaceable(_ path: String) throws(MonitorError) {
        guard let st = try MonitorError.wrap(path, { () throws(PosixError) in try Posix.lstat(path) }) else { return }
        switch st.st_mode & S_IFMT {
        case S_IFSOCK:
            return
        case S_IFLNK:
            throw MonitorError(.unsafeSocketPath, path: path,
                "refusing socket path \(path): it is a symbolic link (remove it, or choose another path)")
        default:
            throw MonitorError(.unsafeSocketPath, path: path,
                "refusing socket path \(path): something that is not a socket is there (remove it, or choose another path)")
        }
    }

    private static func bindListening(path: String) throws(MonitorError) -> Int32 {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let temporary = "\(directory.isEmpty ? "" : directory)/.sg-\(Posix.pid)-\(nextTemporary()).tmp"
        let fd = try MonitorError.wrap(path) { () throws(PosixError) in try Posix.unixStreamSocket() }
        do throws(PosixError) {
            // On Linux the bound file takes the socket inode's mode minus the umask: narrowing it
            // first means the file is never created wider than 0600, even for a moment.
            try? Posix.fchmod(fd, mode: 0o600, subject: temporary)
            try? Posix.unlink(temporary)
            try Posix.bind(fd, path: temporary)
            do throws(PosixError) {
                try Posix.chmod(temporary, mode: 0o600)
                try Posix.listen(fd, backlog: backlog, path: temporary)
                try Posix.rename(temporary, to: path)
            } catch {
                try? Posix.unlink(temporary)
                throw error
            }
            return fd
        } catch {
            Posix.close(fd)
            throw MonitorError(.system, path: path, "cannot listen on \(path): \(error)", underlying: error)
        }
    }

    private static let temporaryCounter = AtomicCounter()
    private static func nextTemporary() -> UInt64 { temporaryCounter.next() }

    /// Removes the socket file and the lock file, then releases the lock. Idempotent.
    func remove() {
        guard !removed else { return }
        removed = true
        Posix.close(fd)
        try? Posix.unlink(path)
        // Unlink while still holding the lock, so nobody takes a lock on a file about to vanish
        // (takeLock also checks the inode for the remaining race).
        try? Posix.unlink(lockPath)
        Posix.close(lockFD)
    }

    deinit { remove() }
}
