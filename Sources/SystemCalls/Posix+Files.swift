import Glibc

/// The system calls of files the `safegroup` command reads and writes (recordings, spools).
///
/// The same rules as every wrapper in `Posix.swift`: retry on `EINTR`, read `errno` at once,
/// throw a ``PosixError`` naming the call and its subject.
extension Posix {
    /// What kind of thing is at `path` (not following a final symlink); nil when nothing is.
    package static func fileType(_ path: String) throws(PosixError) -> mode_t? {
        var st = stat()
        while true {
            // `stat`, not `lstat`: `<(zcat rec.ndjson.gz)` is a /dev/fd/N link to a pipe.
            if statPath(path, &st) == 0 { return st.st_mode & S_IFMT }
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw PosixError(call: "read", subject: path, errno: code)
        }
    }

    /// Which file a descriptor or a path is, and how long it is, to tell a file truncated or
    /// replaced under a reader.
    package struct FileIdentity: Equatable {
        package var device: UInt64
        package var inode: UInt64
        package var size: Int64
        package func isSameFile(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }
    }

    package static func identity(of fd: Int32, subject: String) throws(PosixError) -> FileIdentity {
        var st = stat()
        _ = try syscall("read", subject) { Glibc.fstat(fd, &st) }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size))
    }

    /// The identity of what `path` leads to now; nil when nothing is there.
    package static func identity(of path: String) throws(PosixError) -> FileIdentity? {
        var st = stat()
        while statPath(path, &st) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == ENOENT { return nil }
            throw PosixError(call: "read", subject: path, errno: code)
        }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size))
    }

    package static func openForReading(_ path: String) throws(PosixError) -> Int32 {
        try syscall("open", path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// Creates or truncates `path` for writing, mode 0600: a recording may hold private data.
    ///
    /// Never through a symbolic link at `path` (a link planted where a recording is written
    /// would send it elsewhere), and an existing regular file is narrowed to 0600 too: it may
    /// have been created wider.
    package static func createForWriting(_ path: String) throws(PosixError) -> Int32 {
        let fd: Int32
        do {
            fd = try syscall("create", path) { Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        } catch where error.errno == ELOOP {
            throw PosixError(call: "create", subject: path, errno: ELOOP,
                              detail: "it is a symbolic link (give the path of the file itself)")
        }
        var st = stat()
        if Glibc.fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_mode & 0o777 != 0o600 {
            do {
                _ = try syscall("set the mode of", path) { Glibc.fchmod(fd, 0o600) }
            } catch {
                close(fd)
                throw error
            }
        }
        return fd
    }

    /// `read(2)` into `buffer`; 0 at the end of the file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, subject: String) throws(PosixError) -> Int {
        try syscall("read", subject) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `pread(2)` into `buffer` from `offset`; 0 at the end of the file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, subject: String) throws(PosixError) -> Int {
        try syscall("read", subject) { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// A new descriptor of the same open file (close-on-exec).
    package static func duplicate(_ fd: Int32, subject: String) throws(PosixError) -> Int32 {
        try syscall("reopen", subject) { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    /// An unnamed temporary file, open for reading and writing: made in `$TMPDIR` (else /tmp)
    /// with mode 0600 and unlinked at once, so it goes away with the last descriptor.
    package static func unnamedTemporaryFile() throws(PosixError) -> Int32 {
        let directory = Glibc.getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((directory + "/safegroup-spool-XXXXXX").utf8CString)
        let fd = try template.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(PosixError) -> Int32 in
                try syscall("create a temporary file in", directory) { mkstemp(buffer.baseAddress!) }
            }
        }.get()
        template.withUnsafeBufferPointer { _ = Glibc.unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// Writes all of `bytes`, going on after short writes.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, subject: String) throws(PosixError) {
        var done = 0
        while done < bytes.count {
            done += try syscall("write", subject) { Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done) }
        }
    }

    /// Sets the disposition of `signal` to ignore, so that a dispatch source alone sees it.
    package static func ignore(signal: Int32) {
        Glibc.signal(signal, SIG_IGN)
    }
}

/// `stat(2)`: at file scope, where the name means the function and not the structure.
private func statPath(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }
