import GroupEvents
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call: which call, on what, and the `errno` it set.
///
/// Its description reads like `cannot bind /run/user/0/safegroup/x.sock: Address already in use`.
public struct PosixError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call, for example `bind`.
    public var call: String
    /// The path or object the call was about, when there is one.
    public var subject: String?
    /// The `errno` value.
    public var errno: Int32

    public init(call: String, subject: String? = nil, errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    /// The C library's text for ``errno``, for example `Address already in use`.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        // The subject may be a path from a command line or the environment: sanitized.
        if let subject { return "cannot \(call) \(TextSanitizer.sanitize(subject)): \(reason)" }
        return "\(call) failed: \(reason)"
    }
}
