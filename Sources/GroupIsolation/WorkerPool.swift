@_spi(Isolation) import SafeGroup

/// A pool of long-lived worker processes that run ``IsolatedJob``s, so that a job that traps
/// crashes its worker and not the service.
///
/// Workers are re-executions of a binary (by default this one, `/proc/self/exe`) through
/// `posix_spawn`, never a `fork` of this multi-threaded process; the binary must call
/// ``IsolatedWorker/serveIfWorker(_:)`` first thing in `main`. Each worker runs one job at a
/// time; jobs wait for a free worker in the order they came. A worker that crashes is replaced
/// as soon as its crash shows (before its backtrace is done), and its job fails with an
/// ``IsolatedJobCrash`` carrying the signal, the runtime's reason and the worker's stack.
///
/// ```swift
/// let pool = try WorkerPool(size: 2)
/// defer { pool.shutdown() }
/// let report = await withSafeGroup(of: Invoice.self, name: "invoices") { group in
///     for upload in uploads {
///         await group.spawnIsolated("parse \(upload.id)", timeout: .seconds(2),
///                                   on: pool, job: ParseInvoice.self, input: upload.bytes)
///     }
/// }
/// ```
public final class WorkerPool: Sendable {
    /// How a pool starts and watches its workers.
    public struct Configuration: Sendable {
        /// How many workers run (at least 1).
        public var size: Int
        /// The worker binary; it must call ``IsolatedWorker/serveIfWorker(_:)`` first in `main`.
        public var executable: String
        /// What the backtracer does with a crashed worker's stack: `full` looks up source lines
        /// (slower: tens to hundreds of milliseconds), `fast` symbol names only, `off` none.
        public var symbolication: Symbolication
        /// The longest a crashed worker may take to write its backtrace before it is killed.
        public var crashReportTimeout: Duration
        /// The longest a new worker may take to say it is ready.
        public var startupTimeout: Duration
        /// What happens to the workers' own stdout and stderr lines.
        public var output: WorkerOutputHandling
        /// How many of a worker's last output lines a crash keeps.
        public var outputTailLines: Int
        /// Called on the pool's thread when a worker starts, is ready, crashes or exits; it
        /// must return quickly.
        public var onEvent: (@Sendable (WorkerPoolEvent) -> Void)?

        public init(size: Int = 2, executable: String = "/proc/self/exe", symbolication: Symbolication = .full,
                    crashReportTimeout: Duration = .seconds(10), startupTimeout: Duration = .seconds(10),
                    output: WorkerOutputHandling = .keepTail, outputTailLines: Int = 20,
                    onEvent: (@Sendable (WorkerPoolEvent) -> Void)? = nil) {
            self.size = size
            self.executable = executable
            self.symbolication = symbolication
            self.crashReportTimeout = crashReportTimeout
            self.startupTimeout = startupTimeout
            self.output = output
            self.outputTailLines = outputTailLines
            self.onEvent = onEvent
        }
    }

    /// How much of a crashed worker's stack the backtracer resolves (`SWIFT_BACKTRACE`'s `symbolicate`).
    public enum Symbolication: String, Sendable {
        case full, fast, off
    }

    let supervisor: Supervisor

    /// Starts `size` workers of `executable` (default: this binary).
    ///
    /// - Throws: An ``IsolationError`` when the executable cannot be spawned.
    public convenience init(size: Int = 2, executable: String = "/proc/self/exe") throws {
        try self.init(Configuration(size: size, executable: executable))
    }

    /// Starts a pool as `configuration` says.
    public init(_ configuration: Configuration) throws {
        precondition(configuration.size >= 1, "WorkerPool: size must be at least 1, not \(configuration.size)")
        precondition(configuration.crashReportTimeout > .zero && configuration.startupTimeout > .zero,
                     "WorkerPool: the timeouts must be positive")
        do {
            supervisor = try Supervisor(configuration)
        } catch {
            throw IsolationError(.workerStartFailed, "cannot start a worker pool of \(configuration.executable): \(error)")
        }
    }

    deinit {
        supervisor.shutdown()
    }

    /// Runs one `job` on `input` in a worker and returns its output.
    ///
    /// Cancelling the calling task kills the worker running the job (a job cannot be stopped
    /// any other way) and throws `CancellationError`; the worker is replaced.
    ///
    /// - Throws: ``IsolatedJobCrash`` when the worker died while it ran the job,
    ///   ``IsolatedJobError`` when the job threw, ``IsolationError`` when the job could not be
    ///   run (unknown to the workers, pool shut down, data this process cannot code, an input
    ///   too large). A failure to code the data in the worker, or an output too large, is an
    ///   ``IsolatedJobError`` whose `errorType` is `GroupIsolation.IsolationError`.
    ///
    /// Inlinable, so that the coding of the job's input and output is specialized for its types.
    @inlinable
    public func run<Job: IsolatedJob>(_ job: Job.Type, _ input: Job.Input) async throws -> Job.Output {
        let encoded: [UInt8]
        do {
            encoded = try JobCodec.encode(input)
        } catch {
            throw IsolationError(.codingFailed, "cannot encode the input of job '\(Job.name)': \(error)")
        }
        let output = try await perform(job: Job.name, input: encoded)
        do {
            return try JobCodec.decode(Job.Output.self, from: output)
        } catch {
            throw IsolationError(.codingFailed, "cannot decode the output of job '\(Job.name)': \(error)")
        }
    }

    /// Runs job `name` on encoded `input` in a worker; returns its encoded output.
    @usableFromInline
    func perform(job name: String, input: [UInt8]) async throws -> [UInt8] {
        // The child's context (its span, when a tracer instruments its group) goes with the job,
        // so the worker's spans join the same trace.
        let request = JobFrame.request(name: name, context: ChildInstrumentation.propagationCarrier(), input: input).encoded()
        guard request.count - 4 <= JobFrame.maximumLength else {
            throw IsolationError(.tooLarge, "the input of job '\(name)' is \(input.count) bytes; the channel takes \(JobFrame.maximumLength)")
        }
        switch try await supervisor.perform(job: name, request: request) {
        case .returned(let output):
            return output
        case .threw(let type, let message, let stack):
            throw IsolatedJobError(job: name, errorType: type, message: message, stack: stack)
        case .unknownJob(let name):
            throw IsolationError(.unknownJob, "the worker does not know job '\(name)': register it in the IsolatedJobRegistry the worker's main passes to IsolatedWorker.serveIfWorker")
        case .ready, .request:
            throw IsolationError(.channelBroken, "a worker answered job '\(name)' with a frame that is not a reply")
        }
    }

    /// Ends the workers and the pool's thread; jobs queued or running fail with
    /// ``IsolationError/Code/poolShutDown``. Returns when every worker has been reaped.
    public func shutdown() {
        supervisor.shutdown()
    }

    /// The process ids of the pool's workers now (starting, ready, busy or dying).
    public var workerPIDs: [Int32] { supervisor.workerPIDs }

    /// How many workers are ready for a job now (idle).
    public var idleWorkers: Int { supervisor.idleCount }
}

/// Something that happened to a worker of a ``WorkerPool``.
public enum WorkerPoolEvent: Sendable, Hashable {
    /// A worker was spawned.
    case started(pid: Int32)
    /// A worker said it is ready for jobs.
    case ready(pid: Int32)
    /// A worker's output shows it crashing (a trap, a backtrace); a replacement is started now.
    case crashing(pid: Int32)
    /// A worker ended and was reaped: by `signal`, or with exit `status`.
    case exited(pid: Int32, signal: Int32?, status: Int32?)
}
