import Dispatch
import GroupEvents
import SafeGroup
import Glibc
import SystemCalls

/// The worker side of isolation: the same executable, started by a ``WorkerPool``, serving jobs.
///
/// Call ``serveIfWorker(_:)`` first thing in `main`, before parsing arguments or starting
/// anything: in a normal run it returns at once; in a process a pool started as a worker it
/// serves jobs and never returns.
///
/// ```swift
/// @main struct App {
///     static func main() async throws {
///         await IsolatedWorker.serveIfWorker(IsolatedJobRegistry(ParseInvoice.self))
///         // … the service, which runs jobs with a WorkerPool …
///     }
/// }
/// ```
public enum IsolatedWorker {
    /// The environment variable that marks a worker; a pool sets it, the worker removes it.
    static let environmentKey = "SAFEGROUP_ISOLATION_WORKER"
    /// The argument a pool gives its workers, so that `ps` shows them, and a program that does
    /// not call ``serveIfWorker(_:)`` first fails on an unknown argument instead of running twice.
    public static let workerArgument = "--safegroup-isolation-worker"
    /// The worker reads jobs on this descriptor.
    static let requestFD: Int32 = 3
    /// The worker writes replies on this descriptor.
    static let replyFD: Int32 = 4

    /// Whether this process was started by a ``WorkerPool`` as a worker.
    public static var isWorker: Bool { Posix.getenv(environmentKey) != nil }

    /// Serves jobs from `jobs` and exits, if this process is a worker; otherwise returns at once.
    ///
    /// In a worker: replies are written on fd 4 and jobs read on fd 3, so what jobs print on
    /// stdout and stderr (which the pool collects) never reaches the channel. Jobs run one at a
    /// time on a thread of their own (see the isolation guide). The worker exits when its pool
    /// closes the channel, and is killed when its pool's thread ends (the pool shut down or the
    /// service died).
    ///
    /// This is the variant for a synchronous `main` (or top-level code with no `await` at all):
    /// it parks the main thread in `dispatchMain()`, so that jobs can use the main actor. Do not
    /// call it from async code (it would block the main queue that runs it); there, call
    /// `await serveIfWorker(_:)`. It has a name of its own so that top-level code that awaits
    /// cannot pick it by accident.
    public static func serveIfWorkerSynchronously(_ jobs: IsolatedJobRegistry, instrument: (any GroupInstrument)? = nil) {
        guard startServing(jobs, instrument: instrument) else { return }
        // The main queue (the main actor's executor) must be drained for jobs that use it.
        if Posix.isMainThread { dispatchMain() }
        while true { pause() }
    }

    /// Serves jobs from `jobs` and exits, if this process is a worker; otherwise returns at once.
    ///
    /// The variant for an `async` main: it awaits for ever, so the main actor stays free to
    /// run the work jobs hand it (`await MainActor.run { … }`, a `@MainActor` function).
    ///
    /// With an `instrument` (a tracer's, from `SafeGroupTracing`), each job runs under the context
    /// its child sent (``GroupInstrument/withPropagatedCarrier(_:job:_:)``), so the spans the
    /// worker opens join the child's trace.
    public static func serveIfWorker(_ jobs: IsolatedJobRegistry, instrument: (any GroupInstrument)? = nil) async {
        guard startServing(jobs, instrument: instrument) else { return }
        while true { try? await Task.sleep(for: .seconds(86_400)) }
    }

    /// Starts serving `jobs` on a thread of their own, if this process is a worker; false
    /// when it is not.
    private static func startServing(_ jobs: IsolatedJobRegistry, instrument: (any GroupInstrument)?) -> Bool {
        guard let marker = Posix.getenv(environmentKey) else { return false }
        Posix.unsetenv(environmentKey)
        guard let parent = Int32(marker), Posix.isOpen(requestFD), Posix.isOpen(replyFD) else {
            report("\(environmentKey) is set but fds 3 and 4 are not open: this process was not started by a WorkerPool")
            exit(70)
        }
        // A worker never outlives its pool: the pool's thread spawned it, and when that thread
        // ends (the pool shut down, or the service died), the worker is killed, even mid-job.
        do {
            try Posix.dieWithParent()
        } catch {
            report("\(error)")
            exit(71)
        }
        if Posix.parentPID != parent { exit(0) }  // the service died before the line above
        // The job's own subprocesses must not hold the channel open.
        do {
            try Posix.setCloseOnExec(requestFD)
            try Posix.setCloseOnExec(replyFD)
        } catch {
            report("\(error)")
            exit(71)
        }
        // Lines as they are printed: the pool keeps the last ones, and a crash loses no buffer.
        Posix.lineBufferStandardOutput()
        let executor: JobThreadExecutor
        do {
            executor = try JobThreadExecutor()
        } catch {
            report("\(error)")
            exit(71)
        }
        Task(executorPreference: executor) {
            await serve(jobs, instrument: instrument)
            exit(0)
        }
        return true
    }

    /// Reads jobs and writes replies until the channel closes.
    private static func serve(_ jobs: IsolatedJobRegistry, instrument: (any GroupInstrument)?) async {
        do {
            try Posix.writeAll(replyFD, JobFrame.ready(version: JobFrame.version, pid: Posix.pid, jobs: jobs.names).encoded())
            while let frame = try readFrame() {
                guard case .request(let name, let context, let input) = frame else {
                    report("unexpected frame on the job channel; exiting")
                    return
                }
                let reply: JobFrame
                if let runner = jobs.runners[name] {
                    do {
                        if let instrument, !context.isEmpty {
                            reply = .returned(output: try await instrument.withPropagatedCarrier(context, job: name) { try await runner(input) })
                        } else {
                            reply = .returned(output: try await runner(input))
                        }
                    } catch {
                        reply = threw(error)
                    }
                } else {
                    reply = .unknownJob(name: name)
                }
                var bytes = reply.encoded()
                if bytes.count - 4 > JobFrame.maximumLength {
                    bytes = JobFrame.threw(type: String(reflecting: IsolationError.self),
                                           message: "the output of job '\(name)' is \(bytes.count) bytes, over the channel's \(JobFrame.maximumLength)",
                                           stack: []).encoded()
                }
                try Posix.writeAll(replyFD, bytes)
            }
        } catch {
            // The supervisor went away (EPIPE) or the channel broke: nothing is left to serve.
            report("\(error)")
        }
    }

    private static func threw(_ error: any Error) -> JobFrame {
        let stack = (error as? any StackCarryingError)?.creationStack.frames ?? []
        var reported: any Error = error
        if let traced = error as? any TracedErrorBase { reported = traced.tracedBase }
        return .threw(type: String(reflecting: type(of: reported)), message: String(describing: reported), stack: stack)
    }

    private static func readFrame() throws -> JobFrame? {
        guard let header = try Posix.readExactly(requestFD, count: 4) else { return nil }
        let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
        guard length >= 1, length <= JobFrame.maximumLength else { throw JobFrameError("a frame of \(length) bytes") }
        guard let body = try Posix.readExactly(requestFD, count: length) else { return nil }
        return try JobFrame.decode(body: body[...])
    }

    private static func report(_ message: String) {
        let line = Array("safegroup isolation worker \(Posix.pid): \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

/// A `TracedError` seen through an existential: its wrapped error is what a fault reports.
protocol TracedErrorBase {
    var tracedBase: any Error { get }
}

extension TracedError: TracedErrorBase {
    var tracedBase: any Error { base }
}
