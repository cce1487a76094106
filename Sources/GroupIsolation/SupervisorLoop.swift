import Synchronization
import Glibc
import SystemCalls

/// The supervisor's thread: it polls every worker's reply and output pipes and an eventfd,
/// reads replies and resumes their callers, reads output for signs of a crash, starts
/// replacements, enforces deadlines and reaps the dead.
extension Supervisor {
    /// The supervisor thread's own state: what it has read from each worker.
    struct Loop {
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
            // Taken out of the dictionary while it is read into: a copy that left the stored
            // value behind shared its buffers, and the first append copied all they held.
            guard var worker = io.removeValue(forKey: pid) else { return }
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
            guard var worker = io.removeValue(forKey: pid) else { return }  // see readOutput
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

    enum PollRole {
        case wake
        case replies(Int32)
        case output(Int32)
        case request(Int32)
    }

    struct PollPlan {
        var fds: [pollfd] = []
        var roles: [PollRole] = []
        /// When the thread must look again even if no descriptor is ready (monotonic ns).
        var deadline: UInt64?
    }

    /// What to poll; nil when the pool is closed and every worker is gone.
    func pollPlan(_ loop: Loop) -> PollPlan? {
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
                // A worker killed for a deadline has nothing more to wait for but its pipes'
                // end: offering that past deadline again would keep this thread from polling.
                if !io.killedAfterEnd {
                    if !worker.ready { consider(worker.startedAt + Posix.nanoseconds(configuration.startupTimeout)) }
                    if let noticed = worker.crashNoticedAt { consider(noticed + Posix.nanoseconds(configuration.crashReportTimeout)) }
                }
            }
            if let closedAt = state.closedAt, state.workers.keys.contains(where: { !(loop.io[$0]?.killedAfterEnd ?? false) }) {
                consider(closedAt + 2_000_000_000)
            }
            if state.liveWorkers < configuration.size && state.workers.count < 2 * configuration.size && !state.closed {
                consider(state.nextStartAllowed)
            }
            plan.deadline = deadline
            return plan
        }
    }

    /// Spawns workers until the pool has its size of workers that are not retiring.
    ///
    /// Retiring workers (crashing ones, whose backtracer may symbolicate for up to
    /// `crashReportTimeout`) count against a cap of `2 × size` processes: a burst of trapping
    /// jobs waits for crashed workers to die instead of piling up backtracers.
    func startReplacements(_ loop: inout Loop) {
        while true {
            let now = Posix.monotonicNanoseconds()
            let needed = state.withLock { state in
                !state.closed && state.liveWorkers < configuration.size && state.workers.count < 2 * configuration.size
                    && now >= state.nextStartAllowed
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

    func noteStartFailure(_ message: String) {
        var resumptions: [Resumption] = []
        state.withLock { state in
            state.startFailures += 1
            state.lastStartFailure = message
            let backoff = min(UInt64(50_000_000) << UInt64(min(state.startFailures - 1, 7)), 5_000_000_000)
            state.nextStartAllowed = Posix.monotonicNanoseconds() + backoff
            bump()
            // With no worker that could take them, the queued jobs would wait for nothing.
            guard !state.workers.values.contains(where: { $0.ready && !$0.retiring }) else { return }
            for ticket in state.queue {
                if let continuation = state.jobs[ticket]?.continuation {
                    resumptions.append(.failure(continuation, IsolationError(.workerStartFailed, message)))
                }
                state.jobs[ticket] = nil
            }
            state.queue.removeAll()
        }
        for resumption in resumptions { resumption.run() }
    }

    /// A frame came from worker `pid`.
    func received(_ frame: JobFrame, from pid: Int32) {
        var resumptions: [Resumption] = []
        var event: WorkerPoolEvent?
        state.withLock { state in
            guard var worker = state.workers[pid] else { return }
            switch frame {
            case .ready(let version, _, let jobs):
                // A worker says it is ready once: a second ready frame (a busy worker's among
                // them) would put it on the idle list twice. Its channel cannot be trusted.
                guard version == JobFrame.version, !worker.ready else {
                    worker.phase.retire()
                    state.workers[pid] = worker
                    state.idle.removeAll { $0 == pid }
                    Posix.kill(pid)
                    bump()
                    return
                }
                _ = worker.phase.becomeReady()
                worker.jobNames = Set(jobs)
                bump()
                state.startFailures = 0
                state.lastStartFailure = nil
                state.workers[pid] = worker
                if !worker.retiring { state.idle.append(pid) }
                event = .ready(pid: pid)
            case .returned, .threw, .unknownJob:
                guard let ticket = worker.phase.finishJob() else { return }  // a job cancelled meanwhile
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
                worker.phase.retire()
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

    func breakChannel(_ pid: Int32, reason: String) {
        state.withLock { state in
            guard var worker = state.workers[pid] else { return }
            worker.phase.retire()
            state.workers[pid] = worker
            state.idle.removeAll { $0 == pid }
            Posix.kill(pid)
        }
        bump()
    }

    /// Worker `pid`'s output shows a crash: it gets no more jobs and a replacement starts now,
    /// while its backtracer is still at work.
    func noteCrashing(_ pid: Int32) {
        let isNew = state.withLock { state -> Bool in
            guard var worker = state.workers[pid], worker.phase.noticeCrash(at: Posix.monotonicNanoseconds()) else { return false }
            state.workers[pid] = worker
            state.idle.removeAll { $0 == pid }
            return true
        }
        if isNew {
            bump()
            configuration.onEvent?(.crashing(pid: pid))
        }
    }

    func flushPendingWrite(_ pid: Int32) {
        state.withLock { state in
            guard var worker = state.workers[pid], !worker.pendingWrite.isEmpty, !worker.requestClosed else { return }
            let written = (try? worker.pendingWrite.withUnsafeBufferPointer { (buffer) throws(PosixError) in
                try Posix.sendAvailable(worker.requestFD, UnsafeRawBufferPointer(buffer))
            }) ?? 0
            worker.pendingWrite.removeFirst(written)
            state.workers[pid] = worker
            if worker.pendingWrite.isEmpty { bump() }
        }
    }

    /// Kills workers past a deadline: not ready in time, a backtrace that takes too long, a
    /// shutdown they do not follow.
    func checkDeadlines(_ loop: inout Loop) {
        let now = Posix.monotonicNanoseconds()
        var startFailure: String?
        state.withLock { state in
            let shutdownOverdue = state.closedAt.map { now >= $0 + 2_000_000_000 } ?? false
            for (pid, var worker) in state.workers {
                var kill = shutdownOverdue
                if !worker.ready, !worker.retiring, now >= worker.startedAt + Posix.nanoseconds(configuration.startupTimeout) {
                    kill = true
                    let tail = loop.io[pid]?.output.tail.suffix(5).joined(separator: " | ") ?? ""
                    startFailure = "worker \(pid) of \(configuration.executable) did not say it was ready within \(configuration.startupTimeout): does its main call IsolatedWorker.serveIfWorker first?"
                        + (tail.isEmpty ? "" : " Its last output: \(tail)")
                }
                if let noticed = worker.crashNoticedAt, now >= noticed + Posix.nanoseconds(configuration.crashReportTimeout) { kill = true }
                if kill, !(loop.io[pid]?.killedAfterEnd ?? false) {
                    worker.phase.retire()
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
    func reapEnded(_ loop: inout Loop) {
        let now = Posix.monotonicNanoseconds()
        for (pid, io) in loop.io where io.replyEnded {
            let ended: Bool
            do {
                ended = try Posix.hasEnded(pid)
            } catch {
                ended = true  // not our child any more (ECHILD): nothing to wait for
            }
            guard ended else {
                // It closed its channel but lives on: give it a second, then kill it.
                if let endedAt = io.endedAt, now >= endedAt + 1_000_000_000, !io.killedAfterEnd {
                    Posix.kill(pid)
                    loop.io[pid]?.killedAfterEnd = true
                }
                continue
            }
            // What its jobs left behind in its process group (a grandchild holding its output
            // pipe, writing for ever) goes with it. It is not reaped yet, so its process group
            // id cannot belong to anyone else.
            Posix.killGroup(pid)
            var output = io.output
            // Whatever it wrote before it died is in the pipe: read it for the crash, but at most
            // 8 MiB (a report is one line of at most 4 MiB), so that a writer that outlived it
            // cannot keep this thread here.
            if !io.outputEnded, let fd = state.withLock({ $0.workers[pid]?.outputFD }) {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                var reads = 0
                while reads < 128, case .data(let count) = Loop.read(fd, into: &buffer) {
                    reads += 1
                    _ = buffer.withUnsafeBytes { output.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                }
            }
            output.finish()
            loop.io[pid] = nil
            finishWorker(pid, output: output)
        }
    }

    /// Reaps an ended worker and takes it out of the table, failing the job it was running.
    func finishWorker(_ pid: Int32, output: WorkerOutputCollector) {
        var resumptions: [Resumption] = []
        var startFailure: String?
        let exit = state.withLock { state -> Posix.Exit in
            // Reaped under the lock, where it also leaves the table: every kill takes the lock
            // and looks the worker up first, so none can reach its pid once the system may
            // have given it to another process.
            let exit = ((try? Posix.reap(pid)) ?? nil) ?? .exited(-1)
            guard let worker = state.workers.removeValue(forKey: pid) else { return exit }
            state.idle.removeAll { $0 == pid }
            closeDescriptors(of: worker)
            if let ticket = worker.job, let job = state.jobs.removeValue(forKey: ticket), let continuation = job.continuation {
                let crash = output.evidence.crash(job: job.name, pid: pid, exit: exit, tail: output.tail)
                resumptions.append(.failure(continuation, crash))
            }
            if !worker.ready && !state.closed && !worker.retiring {
                let how: String = switch exit {
                case .exited(let status): "exited with status \(status)"
                case .signalled(let signal): "died of \(Posix.signalName(signal))"
                }
                let tail = output.tail.suffix(5).joined(separator: " | ")
                startFailure = "worker \(pid) of \(configuration.executable) \(how) before it was ready (does its main call IsolatedWorker.serveIfWorker first?)"
                    + (tail.isEmpty ? "" : "; its last output: \(tail)")
            }
            return exit
        }
        for resumption in resumptions { resumption.run() }
        if let startFailure { noteStartFailure(startFailure) }
        switch exit {
        case .exited(let status): configuration.onEvent?(.exited(pid: pid, signal: nil, status: status))
        case .signalled(let signal): configuration.onEvent?(.exited(pid: pid, signal: signal, status: nil))
        }
    }
}
