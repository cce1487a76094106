/// A job could not be run as asked: the pool, the channel or the job's data said no.
///
/// Its description says what happened and what to do. A job that *crashed* is a
/// ``IsolatedJobCrash``; an error a job threw is an ``IsolatedJobError``.
public struct IsolationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure it is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        @usableFromInline init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The workers do not know the job (it is not in their registry).
        public static let unknownJob = Code("unknown job")
        /// The pool was shut down.
        public static let poolShutDown = Code("pool shut down")
        /// A worker could not be started, or did not become ready.
        public static let workerStartFailed = Code("worker start failed")
        /// An input or output could not be encoded or decoded.
        public static let codingFailed = Code("coding failed")
        /// A value is larger than the channel takes.
        public static let tooLarge = Code("too large")
        /// The channel to a worker broke (it sent something that is not a frame).
        public static let channelBroken = Code("channel broken")
    }

    public let code: Code
    public let description: String

    @inlinable
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
