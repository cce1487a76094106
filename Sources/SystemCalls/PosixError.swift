import GroupEvents
import Glibc

/// A failed system call: which call, on what, and the `errno` it set; the one error type of
/// every wrapper in ``Posix``.
///
/// Public because `MonitorError.underlying` carries it. Its description reads like `cannot bind /run/user/0/safegroup/x.sock: Address already in use`.
public struct PosixError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The system call, for example `bind`.
    public var call: String
    /// The path or object the call was about, when there is one.
    public var subject: String?
    /// The `errno` value.
    public var errno: Int32
    /// What to say instead of the errno's text, when that would not tell a person what happened.
    public var detail: String?

    public init(call: String, subject: String? = nil, errno: Int32, detail: String? = nil) {
        self.call = call
        self.subject = subject
        self.errno = errno
        self.detail = detail
    }

    /// ``detail``, else the C library's text for ``errno``, for example `Address already in use`.
    public var reason: String { detail ?? String(cString: strerror(errno)) }

    public var description: String {
        // The subject may be a path from a command line or the environment: sanitized.
        if let subject { return "cannot \(call) \(TextSanitizer.sanitize(subject)): \(reason)" }
        return "\(call) failed: \(reason)"
    }
}
