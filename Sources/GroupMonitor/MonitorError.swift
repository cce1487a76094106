import SystemCalls

/// Why a monitor could not start: what happened, to which path, and what to do.
public struct MonitorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The socket directory is a symlink, not ours, or open to others.
        public static let unsafeDirectory = Code("unsafe-directory")
        /// Something that is not a socket we may replace is at the socket path.
        public static let unsafeSocketPath = Code("unsafe-socket-path")
        /// The socket path is longer than a Unix socket address holds: no client could connect.
        public static let socketPathTooLong = Code("socket-path-too-long")
        /// Another live process serves the same socket path.
        public static let alreadyRunning = Code("already-running")
        /// A system call failed; ``MonitorError/underlying`` says which.
        public static let system = Code("system")
    }

    public var code: Code
    /// The socket or directory path concerned.
    public var path: String
    /// The whole message, for a log or a terminal.
    public var message: String
    /// The failed system call, for ``Code/system``.
    public var underlying: PosixError?

    init(_ code: Code, path: String, _ message: String, underlying: PosixError? = nil) {
        self.code = code; self.path = path; self.message = message; self.underlying = underlying
    }

    init(_ error: PosixError, path: String) {
        self.init(.system, path: path, error.description, underlying: error)
    }

    public var description: String { message }
}

extension MonitorError {
    /// Runs `body`, turning a ``PosixError`` into a ``Code/system`` error about `path`.
    @discardableResult
    static func wrap<T>(_ path: String, _ body: () throws(PosixError) -> T) throws(MonitorError) -> T {
        do { return try body() } catch { throw MonitorError(error, path: path) }
    }
}
