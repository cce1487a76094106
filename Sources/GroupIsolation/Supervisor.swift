import DequeModule
import Dispatch
import Synchronization
import Glibc
import SystemCalls

/// A pool's workers, its queue of jobs, and the thread that watches them.
///
/// Callers take the lock to queue a job and to write its request to an idle worker (a
/// non-blocking write of one frame). The supervisor's thread polls every worker's reply and
/// output pipes: it reads replies and resumes their callers, reads output for signs of a
/// crash, starts replacements, reaps the dead, and closes descriptors, all under the lock so
/// that a caller never writes to a reused descriptor (`shutdown()` also closes idle workers'
/// request sockets, under the same lock).
final class Supervisor: @unchecked Sendable {
    let configuration: WorkerPool.Configuration
    let wakeFD: Int32
    let state = Mutex(State())
    /// Bumped whenever the workers' set, flags or deadlines change, so that the thread builds
    /// its poll set again; a job's ordinary round trip does not bump it.
    let generation = Atomic<UInt64>(0)

    func bump() {
        generation.add(1, ordering: .releasing)
    }
    // Set once in init, before any other thread sees the supervisor.
    var thread: pthread_t?
    let environment: [String]
    let arguments: [String]

    /// A worker, as the callers and the thread share it.
    struct Worker {
        let pid: Int32
        let requestFD: Int32
        let replyFD: Int32
        let outputFD: Int32
        let startedAt: UInt64
        /// Where it is in its life; the flags below read it.
        var phase: WorkerPhase = .spawning
        var jobNames: Set<String> = []
        /// The rest of a request the pipe did not take at once.
        var pendingWrite: [UInt8] = []
        var requestClosed = false

        var ready: Bool { phase.isReady }
        /// The ticket of the job it runs.
        var job: UInt64? { phase.ticket }
        /// Gets no new job: it is crashing, or being killed or shut down.
        var retiring: Bool { phase.isRetiring }
        var crashing: Bool { phase.isCrashing }
        var crashNoticedAt: UInt64? { phase.crashNoticedAt }
    }

    struct Job {
        let name: String
        var request: [UInt8] = []
        var continuation: CheckedContinuation<JobFrame, any Error>?
        var cancelled = false
        var worker: Int32?
    }

    struct State {
        var workers: [Int32: Worker] = [:]
        var idle: [Int32] = []
        var jobs: [UInt64: Job] = [:]
        /// Tickets waiting for a worker, oldest first.
        var queue = Deque<UInt64>()
        var nextTicket: UInt64 = 0
        var closed = false
        var closedAt: UInt64?
        var startFailures = 0
        var lastStartFailure: String?
        var nextStartAllowed: UInt64 = 0

        var liveWorkers: Int { workers.values.count { !$0.retiring } }
    }

    /// A resumption to carry out once the lock is released.
    enum Resumption {
        case frame(CheckedContinuation<JobFrame, any Error>, JobFrame)
        case failure(CheckedContinuation<JobFrame, any Error>, any Error)

        func run() {
            switch self {
            case .frame(let continuation, let frame): continuation.resume(returning: frame)
            case .failure(let continuation, let error): continuation.resume(throwing: error)
            }
        }
    }

    init(_ configuration: WorkerPool.Configuration) throws(PosixError) {
        self.configuration = configuration
        wakeFD = try Posix.eventfd()
        var environment = Posix.environment().filter {
            !$0.hasPrefix("\(IsolatedWorker.environmentKey)=") && !$0.hasPrefix("SWIFT_BACKTRACE=")
        }
        // A service that says where its swift-backtrace is (a slim image) keeps saying it.
        let backtracer = (Posix.getenv("SWIFT_BACKTRACE") ?? "").split(separator: ",")
            .first { $0.hasPrefix("swift-backtrace=") }.map { ",\($0)" } ?? ""
        // The worker checks that its parent is still this process (see serveIfWorker).
        environment.append("\(IsolatedWorker.environmentKey)=\(Posix.pid)")
        environment.append("SWIFT_BACKTRACE=enable=yes,interactive=no,format=json,output-to=stderr,threads=crashed,"
                           + "images=none,color=no,limit=48,top=12,symbolicate=\(configuration.symbolication.rawValue)\(backtracer)")
        self.environment = environment
        let argv0 = configuration.executable == "/proc/self/exe" ? (CommandLine.arguments.first ?? "worker") : configuration.executable
        arguments = [argv0, IsolatedWorker.workerArgument]
        // Every worker is spawned by the pool's thread: a worker is killed when the thread that
        // spawned it ends (PR_SET_PDEATHSIG), and this thread lives exactly as long as the pool.
        // The first ones are spawned before init returns, so that a binary that cannot be run
        // fails the pool's creation with a clear error.
        let firstSpawns = Mutex<PosixError??>(nil)
        let spawned = DispatchSemaphore(value: 0)
        // On a failure from here on, deinit closes wakeFD.
        thread = try Posix.startThread(name: "worker-pool", stackSize: 1 << 20, alternateSignalStack: false) { [self] in
            var loop = Loop(supervisor: self)
            let failure = spawnFirstWorkers(&loop)
            firstSpawns.withLock { $0 = .some(failure) }
            spawned.signal()
            if failure == nil { loop.run() }
        }
        spawned.wait()
        if let failure = firstSpawns.withLock({ $0 }) ?? nil {
            joinThread()
            throw failure
        }
    }

    /// Spawns the pool's first workers; on a failure, ends those already spawned.
    func spawnFirstWorkers(_ loop: inout Loop) -> PosixError? {
        var first: [Worker] = []
        do {
            for _ in 0..<configuration.size { first.append(try spawnWorker()) }
        } catch {
            for worker in first {
                Posix.kill(worker.pid)
                _ = try? Posix.reapBlocking(worker.pid)
                closeDescriptors(of: worker)
            }
            return error
        }
        state.withLock { state in
            for worker in first { state.workers[worker.pid] = worker }
        }
        for worker in first {
            loop.adopt(worker.pid, configuration: configuration)
            configuration.onEvent?(.started(pid: worker.pid))
        }
        return nil
    }

    // MARK: Callers

    /// Queues a job and waits for its reply.
    func perform(job name: String, request: [UInt8]) async throws -> JobFrame {
        let ticket = state.withLock { state -> UInt64 in
            state.nextTicket += 1
            state.jobs[state.nextTicket] = Job(name: name)
            return state.nextTicket
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JobFrame, any Error>) in
                submit(ticket, request: request, continuation: continuation)
            }
        } onCancel: {
            cancel(ticket)
        }
    }

    func submit(_ ticket: UInt64, request: [UInt8], continuation: CheckedContinuation<JobFrame, any Error>) {
        var resumptions: [Resumption] = []
        let wake = state.withLock { state -> Bool in
            guard var job = state.jobs[ticket] else {
                resumptions.append(.failure(continuation, CancellationError()))
                return false
            }
            if job.cancelled {
                state.jobs[ticket] = nil
                resumptions.append(.failure(continuation, CancellationError()))
                return false
            }
            if state.closed {
                state.jobs[ticket] = nil
                resumptions.append(.failure(continuation, IsolationError(.poolShutDown, "the worker pool was shut down; job '\(job.name)' did not run")))
                return false
            }
            if let failure = state.lastStartFailure, state.startFailures >= 3, !state.workers.values.contains(where: \.ready) {
                state.jobs[ticket] = nil
                resumptions.append(.failure(continuation, IsolationError(.workerStartFailed, failure)))
                return false
            }
            job.request = request
            job.continuation = continuation
            state.jobs[ticket] = job
            state.queue.append(ticket)
            return dispatch(&state, &resumptions)
        }
        for resumption in resumptions { resumption.run() }
        if wake { Posix.signal(eventfd: wakeFD) }
    }

    func cancel(_ ticket: UInt64) {
        var resumptions: [Resumption] = []
        state.withLock { state in
            guard var job = state.jobs[ticket] else { return }
            guard let continuation = job.continuation else {
                job.cancelled = true
                state.jobs[ticket] = job
                return
            }
            state.jobs[ticket] = nil
            if let pid = job.worker, var worker = state.workers[pid] {
                // A job cannot be stopped inside its worker: the worker goes, and is replaced.
                worker.phase.retire()
                worker.phase.finishJob()
                state.workers[pid] = worker
                state.idle.removeAll { $0 == pid }
                Posix.kill(pid)
            }
            resumptions.append(.failure(continuation, CancellationError()))
        }
        bump()
        for resumption in resumptions { resumption.run() }
        Posix.signal(eventfd: wakeFD)
    }

    /// Hands queued jobs to idle workers; returns true when the thread must be woken (a
    /// request did not fit in the pipe at once).
    func dispatch(_ state: inout State, _ resumptions: inout [Resumption]) -> Bool {
        var wake = false
        while let ticket = state.queue.first, let pid = state.idle.last {
            state.queue.removeFirst()
            guard var job = state.jobs[ticket], let continuation = job.continuation else { continue }
            guard var worker = state.workers[pid], !worker.retiring else {
                state.idle.removeLast()
                state.queue.prepend(ticket)
                continue
            }
            guard worker.jobNames.contains(job.name) else {
                state.jobs[ticket] = nil
                let known = worker.jobNames.sorted().joined(separator: ", ")
                resumptions.append(.failure(continuation, IsolationError(.unknownJob,
                    "the workers (\(configuration.executable)) do not know job '\(job.name)'; they know: \(known.isEmpty ? "none" : known). Register it in the IsolatedJobRegistry the worker's main passes to IsolatedWorker.serveIfWorker")))
                continue
            }
            state.idle.removeLast()
            let written: Int
            do {
                written = try job.request.withUnsafeBufferPointer { (buffer) throws(PosixError) in
                    try Posix.sendAvailable(worker.requestFD, UnsafeRawBufferPointer(buffer))
                }
            } catch {
                // The worker is gone (EPIPE): the job never reached it; it waits for another.
                worker.phase.retire()
                state.workers[pid] = worker
                state.queue.prepend(ticket)
                wake = true
                bump()
                continue
            }
            if written < job.request.count {
                worker.pendingWrite = Array(job.request[written...])
                wake = true
                bump()
            }
            worker.phase.assign(ticket)
            job.worker = pid
            job.request = []
            state.workers[pid] = worker
            state.jobs[ticket] = job
        }
        return wake
    }

    // MARK: Shutting down

    func shutdown() {
        let alreadyClosed = state.withLock { state -> Bool in
            if state.closed { return true }
            state.closed = true
            state.closedAt = Posix.monotonicNanoseconds()
            return false
        }
        guard !alreadyClosed else {
            joinThread()
            return
        }
        var resumptions: [Resumption] = []
        state.withLock { state in
            for (ticket, job) in state.jobs {
                if let continuation = job.continuation {
                    resumptions.append(.failure(continuation, IsolationError(.poolShutDown, "the worker pool was shut down while job '\(job.name)' \(job.worker == nil ? "waited for a worker" : "ran")")))
                }
                state.jobs[ticket] = nil
            }
            state.queue.removeAll()
            state.idle.removeAll()
            for (pid, var worker) in state.workers {
                worker.phase.retire()
                if worker.job != nil {
                    Posix.kill(pid)
                    worker.phase.finishJob()
                } else if !worker.requestClosed {
                    // An idle worker exits when its channel closes.
                    Posix.close(worker.requestFD)
                    worker.requestClosed = true
                }
                state.workers[pid] = worker
            }
        }
        bump()
        for resumption in resumptions { resumption.run() }
        Posix.signal(eventfd: wakeFD)
        joinThread()
    }

    let joined = Mutex(false)

    /// Waits for the pool's thread to end. Called on the pool's own thread (a `shutdown()` in
    /// `onEvent`), it detaches the thread instead: the loop runs on until its workers are gone.
    ///
    /// `wakeFD` is not closed here but in `deinit`: a caller's cancellation handler may signal
    /// it at any time up to then (it holds the supervisor), and must never write to a closed
    /// or reused descriptor.
    func joinThread() {
        guard let thread else { return }
        let first = joined.withLock { joined -> Bool in
            defer { joined = true }
            return !joined
        }
        guard first else { return }
        if pthread_self() != thread {
            Posix.join(thread)
        } else {
            Posix.detach(thread)
        }
    }

    deinit {
        Posix.close(wakeFD)
    }

    var workerPIDs: [Int32] { state.withLock { $0.workers.keys.sorted() } }
    var idleCount: Int { state.withLock { $0.idle.count } }

    // MARK: Workers

    func spawnWorker() throws(PosixError) -> Worker {
        // Jobs go in over a socket (send with MSG_NOSIGNAL: a dead worker is EPIPE, not a
        // SIGPIPE in the caller's thread); replies and output come back over pipes.
        let request = try Posix.socketPair()
        let reply: (read: Int32, write: Int32), output: (read: Int32, write: Int32)
        do throws(PosixError) {
            reply = try Posix.pipe()
            do throws(PosixError) {
                output = try Posix.pipe()
            } catch {
                Posix.close(reply.read); Posix.close(reply.write)
                throw error
            }
        } catch {
            // Out of descriptors, say: the pool retries with a backoff, and must not leak the
            // ends it already made each time.
            Posix.close(request.0); Posix.close(request.1)
            throw error
        }
        let parentEnds = [request.0, reply.read, output.read]
        var childEnds = [request.1, reply.write, output.write]
        do {
            // Above the numbers the child gets (0-4), so that no dup2 in the spawn overwrites another.
            // One at a time, in place: on a failure every entry is still an open descriptor
            // (moved or not yet), and the catch below closes each exactly once.
            for index in childEnds.indices { childEnds[index] = try Posix.moveAbove(childEnds[index], minimum: 10) }
            for fd in parentEnds { try Posix.setNonBlocking(fd) }
            let pid = try Posix.spawn(configuration.executable, arguments: arguments, environment: environment,
                                      descriptors: .init(output: childEnds[2], requests: childEnds[0], replies: childEnds[1]))
            for fd in childEnds { Posix.close(fd) }
            return Worker(pid: pid, requestFD: parentEnds[0], replyFD: parentEnds[1], outputFD: parentEnds[2],
                          startedAt: Posix.monotonicNanoseconds())
        } catch {
            for fd in childEnds + parentEnds { Posix.close(fd) }
            throw error
        }
    }

    func closeDescriptors(of worker: Worker) {
        if !worker.requestClosed { Posix.close(worker.requestFD) }
        Posix.close(worker.replyFD)
        Posix.close(worker.outputFD)
    }
}
