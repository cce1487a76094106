import CSafeGroupSystem
import Glibc

/// Files mapped into memory: the black box's ring (`MAP_SHARED`, so its pages outlive the process).
extension Posix {
    /// Gives the file `fd` its blocks for `length` bytes (`posix_fallocate`), so that a write
    /// through a shared mapping never finds the disk full (which would be a `SIGBUS`, not an error).
    package static func allocate(_ fd: Int32, length: Int, subject: String) throws(PosixError) {
        // Past RLIMIT_FSIZE the kernel sends SIGXFSZ, which kills the process: refuse first.
        if let limit = fileSizeLimit(), UInt64(length) > limit {
            throw PosixError(call: "allocate", subject: subject, errno: EFBIG,
                             detail: "\(length) bytes is more than this process's file size limit of \(limit) (RLIMIT_FSIZE, 'ulimit -f')")
        }
        while true {
            // posix_fallocate returns the error instead of setting errno.
            let code = Glibc.posix_fallocate(fd, 0, off_t(length))
            if code == 0 { return }
            if code == EINTR { continue }
            throw PosixError(call: "allocate", subject: subject, errno: code)
        }
    }

    /// The soft RLIMIT_FSIZE in bytes: the largest file this process may write without being
    /// sent SIGXFSZ; nil when unlimited.
    package static func fileSizeLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return UInt64(limit.rlim_cur)
    }

    /// `ftruncate(2)`.
    package static func truncate(_ fd: Int32, length: Int, subject: String) throws(PosixError) {
        try syscall("truncate", subject) { Glibc.ftruncate(fd, off_t(length)) }
    }

    /// Maps `length` bytes of `fd` read-write and shared (`mmap(MAP_SHARED)`).
    package static func mapShared(_ fd: Int32, length: Int, subject: String) throws(PosixError) -> UnsafeMutableRawPointer {
        guard let address = Glibc.mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), address != MAP_FAILED else {
            throw PosixError(call: "map", subject: subject, errno: Glibc.errno)
        }
        return address
    }

    /// `munmap(2)`.
    package static func unmap(_ address: UnsafeMutableRawPointer, length: Int) {
        _ = Glibc.munmap(address, length)
    }

    /// Unlinks `path` when the process exits normally (`atexit`); nil when it cannot be arranged.
    package static func unlinkAtExit(_ path: String) -> Int32? {
        let slot = csystem_blackbox_remove_at_exit(path)
        return slot >= 0 ? slot : nil
    }

    /// Cancels ``unlinkAtExit(_:)``.
    package static func cancelUnlinkAtExit(slot: Int32) { csystem_blackbox_keep_at_exit(slot) }

    /// `msync(MS_ASYNC)`: starts writing the mapping's dirty pages back, without waiting.
    package static func syncAsynchronously(_ address: UnsafeMutableRawPointer, length: Int) {
        _ = Glibc.msync(address, length, MS_ASYNC)
    }
}
