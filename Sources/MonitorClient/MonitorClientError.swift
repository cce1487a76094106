import GroupEvents
import Glibc
import SystemCalls

/// Why a ``MonitorClient`` stopped: the socket could not be reached, or its stream cannot be read.
public struct MonitorClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Connecting to the socket failed (and the client was not asked to wait for the service).
        public static let cannotAttach = Code("cannot-attach")
        /// The stream's header names another format or a major version this build cannot read.
        public static let unreadableStream = Code("unreadable-stream")
        /// A system call of the client itself failed.
        public static let system = Code("system")
    }

    public var code: Code
    /// The socket path.
    public var path: String
    /// The whole message, one line, naming the path and what to do.
    public var message: String
    /// The decoder's error, for ``Code/unreadableStream``.
    public var formatError: WireFormatError?

    public init(_ code: Code, path: String, _ message: String, formatError: WireFormatError? = nil) {
        self.code = code; self.path = path; self.message = message; self.formatError = formatError
    }

    public var description: String { message }

    /// `cannot attach to PATH: REASON (HINT)` for a failed connect.
    static func cannotAttach(_ path: String, _ error: PosixError) -> MonitorClientError {
        MonitorClientError(.cannotAttach, path: path, "cannot attach to \(TextSanitizer.sanitize(path)): \(attachFailure(error))")
    }

    /// The reason a connect failed, with the way out, for a person.
    static func attachFailure(_ error: PosixError) -> String {
        switch error.errno {
        case ENOENT: "no such socket (is the service running? try 'safegroup list')"
        case ECONNREFUSED: "nobody is listening, the socket is stale (is the service running? try 'safegroup list')"
        case EACCES, EPERM: "permission denied (only the service's own user, or root, may attach)"
        case ENOTSOCK: "not a socket (give the path of a service's .sock file; try 'safegroup list')"
        case EAGAIN: "the service is not accepting connections right now"
        case ENAMETOOLONG: "the path is too long for a Unix socket"
        default: error.reason
        }
    }
}
