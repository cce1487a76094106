import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pool's workers, its queue of jobs, and the thread that watches them.
///
/// Callers take the lock to queue a job and to write its request to an idle worker (a
/// non-blocking write of one frame). The supervisor's thread polls every worker's reply and
/// output pipes: it reads replies and resumes their callers, reads output for signs of a
/// crash, starts replacements, reaps the dead, and alone closes descriptors (under the lock,
/// so that a caller never writes to a reused descriptor).
final class Supervisor: @unchecked Sendable {
    let configuration: WorkerPool.Configuration
    private let wakeFD: Int32
    private let state = Mutex(State())
    /// Bumped whenever the workers' set, flags or deadlines change, so that the thread builds
    /// its poll set again; a job's ordinary round trip does not bump it.
    let generation = Atomic<UInt64>(0)

    private func bump() {
        generation.add(1, ordering: .releasing)
    }
    // Set once in init, before any other thread sees the supervisor.
    private var thread: pthread_t?
    private let environment: [String]
    private let arguments: [String]

    /// A worker, as the callers and the thread share it.
    private struct Worker {
        let pid: Int32
        let requestFD: Int32
        let replyFD: Int32
        let outputFD: Int32
        let startedAt: UInt64
        var ready = false
        var jobNames: Set<String> = []
        /// The ticket of the job it runs.
        var job: UInt64?
        /// Gets no new job: it is crashing, or being killed or shut down.
        var retiring = false
        var crashing = false
        var crashNoticedAt: UInt64?
        /// The rest of a request the pipe did not take at once.
        var pendingWrite: [UInt8] = []
        var requestClosed = false
    }

    private struct Job {
        let name: String
        var request: [UInt8] = []
        var continuation: CheckedContinuation<JobFrame, any Error>?
        var cancelled = false
        var worker: Int32?
    }

    private struct State {
        var workers: [Int32: Worker] = [:]
        var idle: [Int32] = []
        var jobs: [UInt64: Job] = [:]
        var queue: [UInt64] = []
        var queueHead = 0
        var nextTicket: UInt64 = 0
        var closed = false
        var closedAt: UInt64?
        var startFailures = 0
        var lastStartFailure: String?
        var nextStartAllowed: UInt64 = 0

        var liveWorkers: Int { workers.values.count { !$0.retiring } }
    }

    /// A resumption to carry out once the lock is released.
    private enum Resumption {
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
        do {
            thread = try Posix.startThread(name: "worker-pool", stackSize: 1 << 20, alternateSignalStack: false) { [self] in
                var loop = Loop(supervisor: self)
                let failure = spawnFirstWorkers(&loop)
                firstSpawns.withLock { $0 = .some(failure) }
                spawned.signal()
                if failure == nil { loop.run() }
            }
        } catch {
            Posix.close(wakeFD)
            throw error
        }
        spawned.wait()
        if let failure = firstSpawns.withLock({ $0 }) ?? nil {
            joinThread()
            throw failure
        }
    }

    /// Spawns the pool's first workers; on a failure, ends those already spawned.
    private func spawnFirstWorkers(_ loop: inout Loop) -> PosixError? {
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

    private func submit(_ ticket: UInt64, request: [UInt8], continuation: CheckedContinuation<JobFrame, any Error>) {
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

    private func cancel(_ ticket: UInt64) {
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
                worker.retiring = true
                worker.job = nil
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
    private func dispatch(_ state: inout State, _ resumptions: inout [Resumption]) -> Bool {
        var wake = false
        while state.queueHead < state.queue.count, let pid = state.idle.last {
            let ticket = state.queue[state.queueHead]
            state.queueHead += 1
            guard var job = state.jobs[ticket], let continuation = job.continuation else { continue }
            guard var worker = state.workers[pid], !worker.retiring else {
                state.idle.removeLast()
                state.queueHead -= 1
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
                    try Posix.send(worker.requestFD, UnsafeRawBufferPointer(buffer))
                }
            } catch {
                // The worker is gone (EPIPE): the job never reached it; it waits for another.
                worker.retiring = true
                state.workers[pid] = worker
                state.queueHead -= 1
                wake = true
                bump()
                continue
            }
            if written < job.request.count {
                worker.pendingWrite = Array(job.request[written...])
                wake = true
                bump()
            }
            worker.job = ticket
            job.worker = pid
            job.request = []
            state.workers[pid] = worker
            state.jobs[ticket] = job
        }
        if state.queueHead == state.queue.count {
            state.queue.removeAll(keepingCapacity: true)
            state.queueHead = 0
        } else if state.queueHead > 1_024 && state.queueHead * 2 > state.queue.count {
            // A backlog that never drains must not keep every ticket it ever had.
            state.queue.removeFirst(state.queueHead)
            state.queueHead = 0
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
            state.queueHead = 0
            state.idle.removeAll()
            for (pid, var worker) in state.workers {
                worker.retiring = true
                if worker.job != nil {
                    Posix.kill(pid)
                    worker.job = nil
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

    private let joined = Mutex(false)

    private func joinThread() {
        guard let thread else { return }
        let first = joined.withLock { joined -> Bool in
            defer { joined = true }
            return !joined
        }
        guard first else { return }
        if pthread_self() != thread { Posix.join(thread) }
        Posix.close(wakeFD)
    }

    var workerPIDs: [Int32] { state.withLock { $0.workers.keys.sorted() } }
    var idleCount: Int { state.withLock { $0.idle.count } }

    // MARK: Workers

    private func spawnWorker() throws(PosixError) -> Worker {
        // Jobs go in over a socket (send with MSG_NOSIGNAL: a dead worker is EPIPE, not a
        // SIGPIPE in the caller's thread); replies and output come back over pipes.
        let request = try Posix.socketPair()
        let reply = try Posix.pipe()
        let output = try Posix.pipe()
        var parentEnds = [request.0, reply.read, output.read]
        var childEnds = [request.1, reply.write, output.write]
        do {
            // Above the numbers the child gets (0-4), so that no dup2 in the spawn overwrites another.
            childEnds = try childEnds.map { (fd) throws(PosixError) in try Posix.moveAbove(fd, minimum: 10) }
            for fd in parentEnds { try Posix.setNonBlocking(fd) }
            let pid = try Posix.spawn(configuration.executable, arguments: arguments, environment: environment,
                                      descriptors: .init(output: childEnds[2], requests: childEnds[0], replies: childEnds[1]))
            for fd in childEnds { Posix.close(fd) }
            return Worker(pid: pid, requestFD: parentEnds[0], replyFD: parentEnds[1], outputFD: parentEnds[2],
                          startedAt: Posix.monotonicNanoseconds())
        } catch {
            for fd in childEnds + parentEnds { Posix.close(fd) }
            parentEnds = []
            throw error
        }
    }

    private func closeDescriptors(of worker: Worker) {
        if !worker.requestClosed { Posix.close(worker.requestFD) }
        Posix.close(worker.replyFD)
        Posix.close(worker.outputFD)
    }

    // MARK: The thread

    /// The supervisor thread's own state: what it has read from each worker.
    private struct Loop {
        var supervisor: Supervisor?
        var io: [Int32: WorkerIO] = [:]

        struct WorkerIO {
            var replies: [UInt8] = []
            var output: WorkerOutputCollector
            var replyEnded = false
            var outputEnded = false
            var endedAt: UInt64?
            var killedAfterEnd = false
        }

        mutating func adopt(_ pid: Int32, configuration: WorkerPool.Configuration) {
            io[pid] = WorkerIO(output: WorkerOutputCollector(pid: pid, tailLines: configuration.outputTailLines,
                                                              forward: configuration.output == .forwardToStandardError))
        }

        /// Set when this thread's own view of the workers changed (a pipe ended, a worker came
        /// or went), so that the poll set is built again.
        var changed = true

        mutating func run() {
            guard let supervisor else { return }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var plan = PollPlan()
            var planGeneration = UInt64.max
            while true {
                // The poll set and the deadlines are built again only when something changed:
                // a job's round trip costs this thread one poll and one lock (in `received`).
                let generation = supervisor.generation.load(ordering: .acquiring)
                let now = Posix.monotonicNanoseconds()
                let due = plan.deadline.map { now >= $0 } ?? false
                if changed || due || generation != planGeneration {
                    if changed || due {
                        supervisor.checkDeadlines(&self)
                        supervisor.reapEnded(&self)
                    }
                    supervisor.startReplacements(&self)
                    changed = false
                    planGeneration = supervisor.generation.load(ordering: .acquiring)
                    guard let next = supervisor.pollPlan(self) else { break }
                    plan = next
                    continue
                }
                var timeout: Int32 = -1
                if let deadline = plan.deadline {
                    timeout = deadline <= now ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
                }
                var fds = plan.fds
                _ = try? Posix.poll(&fds, timeoutMilliseconds: timeout)
                for (index, entry) in fds.enumerated() where entry.revents != 0 {
                    switch plan.roles[index] {
                    case .wake:
                        Posix.drain(eventfd: entry.fd)
                    case .output(let pid):
                        readOutput(pid, fd: entry.fd, buffer: &buffer, supervisor: supervisor)
                    case .replies(let pid):
                        readReplies(pid, fd: entry.fd, buffer: &buffer, supervisor: supervisor)
                    case .request(let pid):
                        supervisor.flushPendingWrite(pid)
                    }
                }
            }
        }

        /// One non-blocking read: bytes, nothing now, or the end (an error counts as the end).
        enum ReadResult {
            case data(Int)
            case wouldBlock
            case ended
        }

        static func read(_ fd: Int32, into buffer: inout [UInt8]) -> ReadResult {
            do {
                let n = try buffer.withUnsafeMutableBufferPointer { (buffer) throws(PosixError) in
                    try Posix.read(fd, into: UnsafeMutableRawBufferPointer(buffer))
                }
                guard let n else { return .wouldBlock }
                return n == 0 ? .ended : .data(n)
            } catch {
                return .ended
            }
        }

        mutating func readOutput(_ pid: Int32, fd: Int32, buffer: inout [UInt8], supervisor: Supervisor) {
            guard var worker = io[pid] else { return }
            var crashing = false
            reading: while true {
                switch Self.read(fd, into: &buffer) {
                case .wouldBlock:
                    break reading
                case .ended:
                    worker.outputEnded = true
                    worker.output.finish()
                    changed = true
                    break reading
                case .data(let count):
                    crashing = buffer.withUnsafeBytes { worker.output.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) } || crashing
                    if count < buffer.count { break reading }
                }
            }
            io[pid] = worker
            if crashing { supervisor.noteCrashing(pid) }
        }

        mutating func readReplies(_ pid: Int32, fd: Int32, buffer: inout [UInt8], supervisor: Supervisor) {
            guard var worker = io[pid] else { return }
            reading: while true {
                switch Self.read(fd, into: &buffer) {
                case .wouldBlock:
                    break reading
                case .ended:
                    worker.replyEnded = true
                    worker.endedAt = Posix.monotonicNanoseconds()
                    changed = true
                    break reading
                case .data(let count):
                    worker.replies.append(contentsOf: buffer[..<count])
                    if count < buffer.count { break reading }
                }
            }
            do {
                let (frames, consumed) = try JobFrame.split(worker.replies)
                for range in frames {
                    supervisor.received(try JobFrame.decode(body: worker.replies[range]), from: pid)
                }
                worker.replies.removeFirst(consumed)
            } catch {
                // Garbage on the channel: the worker cannot be trusted with another job.
                worker.replies.removeAll()
                supervisor.breakChannel(pid, reason: "\(error)")
            }
            io[pid] = worker
        }
    }

    private enum PollRole {
        case wake
        case replies(Int32)
        case output(Int32)
        case request(Int32)
    }

    private struct PollPlan {
        var fds: [pollfd] = []
        var roles: [PollRole] = []
        /// When the thread must look again even if no descriptor is ready (monotonic ns).
        var deadline: UInt64?
    }

    /// What to poll; nil when the pool is closed and every worker is gone.
    private func pollPlan(_ loop: Loop) -> PollPlan? {
        let now = Posix.monotonicNanoseconds()
        return state.withLock { state -> PollPlan? in
            if state.closed && state.workers.isEmpty { return nil }
            var plan = PollPlan()
            plan.fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            plan.roles.append(.wake)
            var deadline: UInt64?
            func consider(_ time: UInt64) { deadline = min(deadline ?? time, time) }
            for (pid, worker) in state.workers {
                guard let io = loop.io[pid] else { continue }
                if !io.replyEnded {
                    plan.fds.append(pollfd(fd: worker.replyFD, events: Int16(POLLIN), revents: 0))
                    plan.roles.append(.replies(pid))
                } else {
                    consider(now + 2_000_000)  // reap it soon
                }
                if !io.outputEnded {
                    plan.fds.append(pollfd(fd: worker.outputFD, events: Int16(POLLIN), revents: 0))
                    plan.roles.append(.output(pid))
                }
                if !worker.pendingWrite.isEmpty, !worker.requestClosed {
                    plan.fds.append(pollfd(fd: worker.requestFD, events: Int16(POLLOUT), revents: 0))
                    plan.roles.append(.request(pid))
                }
                if !worker.ready { consider(worker.startedAt + nanoseconds(configuration.startupTimeout)) }
                if let noticed = worker.crashNoticedAt { consider(noticed + nanoseconds(configuration.crashReportTimeout)) }
            }
            if let closedAt = state.closedAt { consider(closedAt + 2_000_000_000) }
            if state.liveWorkers < configuration.size && !state.closed { consider(state.nextStartAllowed) }
            plan.deadline = deadline
            return plan
        }
    }

    /// Spawns workers until the pool has its size of workers that are not retiring.
    private func startReplacements(_ loop: inout Loop) {
        while true {
            let now = Posix.monotonicNanoseconds()
            let needed = state.withLock { state in
                !state.closed && state.liveWorkers < configuration.size && now >= state.nextStartAllowed
            }
            guard needed else { return }
            do {
                let worker = try spawnWorker()
                loop.adopt(worker.pid, configuration: configuration)
                state.withLock { $0.workers[worker.pid] = worker }
                configuration.onEvent?(.started(pid: worker.pid))
            } catch {
                noteStartFailure("cannot spawn a worker: \(error)")
                return
            }
        }
    }

    private func noteStartFailure(_ message: String) {
        var resumptions: [Resumption] = []
        state.withLock { state in
            state.startFailures += 1
            state.lastStartFailure = message
            let backoff = min(UInt64(50_000_000) << UInt64(min(state.startFailures - 1, 7)), 5_000_000_000)
            state.nextStartAllowed = Posix.monotonicNanoseconds() + backoff
            bump()
            // With no worker that could take them, the queued jobs would wait for nothing.
            guard !state.workers.values.contains(where: { $0.ready && !$0.retiring }) else { return }
            for ticket in state.queue[state.queueHead...] {
                if let continuation = state.jobs[ticket]?.continuation {
                    resumptions.append(.failure(continuation, IsolationError(.workerStartFailed, message)))
                }
                state.jobs[ticket] = nil
            }
            state.queue.removeAll()
            state.queueHead = 0
        }
        for resumption in resumptions { resumption.run() }
    }

    /// A frame came from worker `pid`.
    private func received(_ frame: JobFrame, from pid: Int32) {
        var resumptions: [Resumption] = []
        var event: WorkerPoolEvent?
        state.withLock { state in
            guard var worker = state.workers[pid] else { return }
            switch frame {
            case .ready(let version, _, let jobs):
                guard version == JobFrame.version else {
                    worker.retiring = true
                    state.workers[pid] = worker
                    Posix.kill(pid)
                    bump()
                    return
                }
                worker.ready = true
                worker.jobNames = Set(jobs)
                bump()
                state.startFailures = 0
                state.lastStartFailure = nil
                state.workers[pid] = worker
                if !worker.retiring { state.idle.append(pid) }
                event = .ready(pid: pid)
            case .returned, .threw, .unknownJob:
                guard let ticket = worker.job else { return }  // a job cancelled meanwhile
                worker.job = nil
                if let continuation = state.jobs.removeValue(forKey: ticket)?.continuation {
                    resumptions.append(.frame(continuation, frame))
                }
                if !worker.retiring {
                    state.idle.append(pid)
                } else if !worker.requestClosed {
                    // Retired (a false alarm of a crash, or a cancelled job's race): it answered,
                    // so it is alive and well; closing its channel makes it exit.
                    Posix.close(worker.requestFD)
                    worker.requestClosed = true
                    bump()
                }
                state.workers[pid] = worker
            case .request:
                worker.retiring = true
                state.workers[pid] = worker
                Posix.kill(pid)
                bump()
                return
            }
            _ = dispatch(&state, &resumptions)
        }
        for resumption in resumptions { resumption.run() }
        if let event { configuration.onEvent?(event) }
    }

    private func breakChannel(_ pid: Int32, reason: String) {
        state.withLock { state in
            guard var worker = state.workers[pid] else { return }
            worker.retiring = true
            state.workers[pid] = worker
            state.idle.removeAll { $0 == pid }
            Posix.kill(pid)
        }
        bump()
    }

    /// Worker `pid`'s output shows a crash: it gets no more jobs and a replacement starts now,
    /// while its backtracer is still at work.
    private func noteCrashing(_ pid: Int32) {
        let isNew = state.withLock { state -> Bool in
            guard var worker = state.workers[pid], !worker.crashing else { return false }
            worker.crashing = true
            worker.retiring = true
            worker.crashNoticedAt = Posix.monotonicNanoseconds()
            state.workers[pid] = worker
            state.idle.removeAll { $0 == pid }
            return true
        }
        if isNew {
            bump()
            configuration.onEvent?(.crashing(pid: pid))
        }
    }

    private func flushPendingWrite(_ pid: Int32) {
        state.withLock { state in
            guard var worker = state.workers[pid], !worker.pendingWrite.isEmpty, !worker.requestClosed else { return }
            let written = (try? worker.pendingWrite.withUnsafeBufferPointer { (buffer) throws(PosixError) in
                try Posix.send(worker.requestFD, UnsafeRawBufferPointer(buffer))
            }) ?? 0
            worker.pendingWrite.removeFirst(written)
            state.workers[pid] = worker
            if worker.pendingWrite.isEmpty { bump() }
        }
    }

    /// Kills workers past a deadline: not ready in time, a backtrace that takes too long, a
    /// shutdown they do not follow.
    private func checkDeadlines(_ loop: inout Loop) {
        let now = Posix.monotonicNanoseconds()
        var startFailure: String?
        state.withLock { state in
            let shutdownOverdue = state.closedAt.map { now >= $0 + 2_000_000_000 } ?? false
            for (pid, var worker) in state.workers {
                var kill = shutdownOverdue
                if !worker.ready, !worker.retiring, now >= worker.startedAt + nanoseconds(configuration.startupTimeout) {
                    kill = true
                    let tail = loop.io[pid]?.output.tail.suffix(5).joined(separator: " | ") ?? ""
                    startFailure = "worker \(pid) of \(configuration.executable) did not say it was ready within \(configuration.startupTimeout): does its main call IsolatedWorker.serveIfWorker first?"
                        + (tail.isEmpty ? "" : " Its last output: \(tail)")
                }
                if let noticed = worker.crashNoticedAt, now >= noticed + nanoseconds(configuration.crashReportTimeout) { kill = true }
                if kill, !(loop.io[pid]?.killedAfterEnd ?? false) {
                    worker.retiring = true
                    state.workers[pid] = worker
                    state.idle.removeAll { $0 == pid }
                    Posix.kill(pid)
                    loop.io[pid]?.killedAfterEnd = true
                }
            }
        }
        if let startFailure { noteStartFailure(startFailure) }
    }

    /// Reaps workers whose reply pipe ended, and fails the job each was running.
    private func reapEnded(_ loop: inout Loop) {
        let now = Posix.monotonicNanoseconds()
        for (pid, io) in loop.io where io.replyEnded {
            let exit: Posix.Exit?
            do {
                exit = try Posix.reap(pid)
            } catch {
                exit = .exited(-1)  // not our child any more (ECHILD): nothing to wait for
            }
            guard let exit else {
                // It closed its channel but lives on: give it a second, then kill it.
                if let endedAt = io.endedAt, now >= endedAt + 1_000_000_000, !io.killedAfterEnd {
                    Posix.kill(pid)
                    loop.io[pid]?.killedAfterEnd = true
                }
                continue
            }
            var output = io.output
            // Whatever it wrote before it died is in the pipe: read it all for the crash.
            if !io.outputEnded, let fd = state.withLock({ $0.workers[pid]?.outputFD }) {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while case .data(let count) = Loop.read(fd, into: &buffer) {
                    _ = buffer.withUnsafeBytes { output.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                }
            }
            output.finish()
            loop.io[pid] = nil
            finishWorker(pid, exit: exit, output: output)
        }
    }

    private func finishWorker(_ pid: Int32, exit: Posix.Exit, output: WorkerOutputCollector) {
        var resumptions: [Resumption] = []
        var startFailure: String?
        state.withLock { state in
            guard let worker = state.workers.removeValue(forKey: pid) else { return }
            state.idle.removeAll { $0 == pid }
            closeDescriptors(of: worker)
            if let ticket = worker.job, let job = state.jobs.removeValue(forKey: ticket), let continuation = job.continuation {
                let crash = output.evidence.crash(job: job.name, pid: pid, exit: exit, tail: output.tail)
                resumptions.append(.failure(continuation, crash))
            }
            if !worker.ready && !state.closed && !worker.retiring {
                let how: String = switch exit {
                case .exited(let status): "exited with status \(status)"
                case .signalled(let signal): "died of \(SignalName.of(signal))"
                }
                let tail = output.tail.suffix(5).joined(separator: " | ")
                startFailure = "worker \(pid) of \(configuration.executable) \(how) before it was ready (does its main call IsolatedWorker.serveIfWorker first?)"
                    + (tail.isEmpty ? "" : "; its last output: \(tail)")
            }
        }
        for resumption in resumptions { resumption.run() }
        if let startFailure { noteStartFailure(startFailure) }
        switch exit {
        case .exited(let status): configuration.onEvent?(.exited(pid: pid, signal: nil, status: status))
        case .signalled(let signal): configuration.onEvent?(.exited(pid: pid, signal: signal, status: nil))
        }
    }
}

private func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(seconds, 0)) &* 1_000_000_000 &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
}
