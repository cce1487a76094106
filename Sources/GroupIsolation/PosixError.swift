#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call of GroupIsolation: which call, on what, and the `errno` it set.
///
/// Its description reads like `cannot spawn worker /usr/bin/app: No such file or directory`.
struct PosixError: Error, Hashable, Sendable, CustomStringConvertible {
    var call: String
    var subject: String?
    var errno: Int32

    init(call: String, subject: String? = nil, errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    var reason: String { String(cString: strerror(errno)) }

    var description: String {
        if let subject { return "cannot \(call) \(subject): \(reason)" }
        return "\(call) failed: \(reason)"
    }
}
