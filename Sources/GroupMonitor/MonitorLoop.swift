import GroupEvents
import Synchronization
import Glibc
import SystemCalls

/// The monitor thread: drains the event buffer, numbers and encodes events, keeps the live
/// state, and serves viewers and the recorder with `poll`.
///
/// Everything here runs on that one thread, except ``stop()`` and the counters. It never calls
/// user code: the only callback, the recorder's reporter, runs on a thread of its own.
final class MonitorLoop: @unchecked Sendable {
    /// Totals that other threads read.
    final class Counters: Sendable {
        let delivered = AtomicCounter()
        let accepted = AtomicCounter()
        let peersRefused = AtomicCounter()
        let viewersRefused = AtomicCounter()
        let viewersStalled = AtomicCounter()
        let viewerLinesDropped = AtomicCounter()
        let viewers = Atomic<Int>(0)
    }

    let counters = Counters()
    let buffer: EventBuffer
    private let configuration: MonitorConfiguration
    private let listener: SocketListener
    private let wakeFD: Int32
    private let headerLine: [UInt8]
    private let uid: uid_t
    private let reporter: @Sendable (String) -> Void
    private let stopping = Atomic<Bool>(false)
    /// This monitor's stream and targets in the crash handler, when it is on.
    private let crash: CrashTargets?

    private var encoder = LineEncoder()
    private var seq: UInt64 = 0
    private var live = LiveState()
    private var viewers: [Viewer] = []
    private var recorder: RecorderOutput?
    /// The flight recorder, when it is on: every encoded line goes into its ring too.
    let blackBox: BlackBox?
    /// This loop's slot among the SIGUSR1 handler's wake-ups, when SIGUSR1 snapshots are on,
    /// and the handler's count of signals already answered.
    private var snapshotSignalSlot: Int32?
    private var snapshotSignalsSeen: UInt64 = 0
    private var reportedDropped: UInt64 = 0
    private var reportedDroppedFaults: UInt64 = 0
    private var batch: EventBlock
    private var chunk: [UInt8] = []
    private var marks: [LineEncoder.Mark] = []
    /// How many of `marks` are fault-class lines.
    private var markedFaults = 0
    private var nextHeartbeat: UInt64 = 0
    /// After accept fails (out of descriptors), the listening socket rests until then, so the
    /// loop does not spin on a backlog it cannot take.
    private var acceptPausedUntil: UInt64 = 0

    /// How long the thread lets a batch gather after a take that found events, when no viewer
    /// reads and nothing records (a take of a quarter of the buffer goes on at once, and
    /// producers wake it at half): each wake-up on a machine whose cores the service fills
    /// preempts one of the service's threads. Waiting 1 ms cost a no-viewer fan-out 1.21-1.23x
    /// the events' own cost, 5 ms 1.06-1.18x, 10 ms 1.11-1.15x (issue 11, docs/BENCHMARKS.md).
    /// With a reader it stays 1 ms: 5 ms made `safegroup record` of a fan-out lose 12-23% of
    /// it in-band, against 4-5%.
    static let batchWaitMilliseconds: Int32 = 5

    /// Events encoded per fan-out chunk: bounds the chunk to roughly a megabyte.
    private static let chunkEvents = 4096
    private let stallNanoseconds: UInt64
    private let heartbeatNanoseconds: UInt64

    init(listener: SocketListener, header: WireHeader, configuration: MonitorConfiguration,
         recorder: RecorderOutput?, reporter: @escaping @Sendable (String) -> Void) throws(PosixError) {
        self.listener = listener
        self.configuration = configuration
        self.buffer = try EventBuffer(capacity: configuration.eventCapacity)
        self.batch = EventBlock(capacity: configuration.eventCapacity)
        self.wakeFD = buffer.wakeFD
        self.uid = Posix.uid
        self.reporter = reporter
        self.recorder = recorder
        self.stallNanoseconds = Posix.nanoseconds(configuration.stallTimeout)
        self.heartbeatNanoseconds = max(1_000_000, Posix.nanoseconds(configuration.heartbeatInterval))
        self.headerLine = encoder.headerLine(header)
        self.crash = configuration.crashHandler ? CrashTargets() : nil
        self.blackBox = Self.openBlackBox(configuration, service: header.service, headerLine: headerLine, reporter: reporter)
        if let blackBox, let crash { crash.setRing(blackBox) }
        if blackBox != nil, configuration.blackBoxSnapshotOnSIGUSR1 || SocketPath.processEnvironment(BlackBox.signalVariable) == "1" {
            do {
                if try Posix.installSnapshotSignal() {
                    snapshotSignalsSeen = Posix.snapshotSignals
                    snapshotSignalSlot = Posix.wakeOnSnapshotSignal(wakeFD)
                } else {
                    reporter("safegroup: SIGUSR1 has a handler of the host's own, left alone: no black box snapshots on SIGUSR1 (use 'safegroup snapshot SOCKET')")
                }
            } catch {
                reporter("safegroup: no black box snapshots on SIGUSR1: \(error)")
            }
        }
        if var recorder = self.recorder {
            recorder.output.append(headerLine: headerLine)
            recorder.crashSlot = crash?.add(fd: recorder.fd, isSocket: false)
            self.recorder = recorder
        }
    }

    static func now() -> UInt64 { Posix.monotonicNanoseconds() }

    /// The black box the configuration and `SAFEGROUP_BLACKBOX` ask for; a failure is reported
    /// once, and the service goes on without one.
    private static func openBlackBox(_ configuration: MonitorConfiguration, service: String, headerLine: [UInt8],
                                     reporter: @Sendable (String) -> Void) -> BlackBox? {
        let asked = BlackBox.Settings.resolve(bytes: configuration.blackBoxBytes, directory: configuration.blackBoxDirectory,
                                              environment: SocketPath.processEnvironment(BlackBox.environmentVariable))
        do throws(BlackBoxFailure) {
            guard var settings = try asked.get() else { return nil }
            settings.maxAgeNanoseconds = Posix.nanoseconds(configuration.blackBoxMaxAge)
            if let age = SocketPath.processEnvironment(BlackBox.ageVariable), !age.isEmpty {
                guard let parsed = BlackBox.Settings.parseAge(age) else {
                    throw BlackBoxFailure("\(BlackBox.ageVariable)=\(age) is not an age (60s, 5m, 1h, off); the service goes on without a black box")
                }
                settings.maxAgeNanoseconds = parsed
            }
            let stem = String(SocketPath.fileName(service: service, pid: Posix.pid).dropLast(".sock".count))
            return try BlackBox.open(settings, stem: stem, headerLine: headerLine)
        } catch {
            reporter(error.description)
            return nil
        }
    }

    /// Closes the recording of a loop whose thread never started, through the copy that knows
    /// its crash-handler slot: closing the caller's copy would leave the handler writing to a
    /// descriptor number that the next open file may get.
    func closeUnstarted() {
        // The SIGUSR1 handler's wake-up slot points at this loop's eventfd, about to be closed.
        if let snapshotSignalSlot { Posix.stopWakingOnSnapshotSignal(slot: snapshotSignalSlot) }
        snapshotSignalSlot = nil
        recorder?.close()
        recorder = nil
        if let blackBox, crash?.setRing(nil) ?? true { blackBox.remove() }
    }

    /// Asks the thread to finish; it drains, closes viewers and removes the socket.
    func stop() {
        stopping.store(true, ordering: .releasing)
        Posix.signal(eventfd: wakeFD)
    }

    // MARK: The loop

    func run() {
        // Sockets are written with MSG_NOSIGNAL, but a recording may go to a pipe: there a
        // closed reader must fail the write (EPIPE), not kill the service.
        Posix.blockSIGPIPEInThisThread()
        nextHeartbeat = Self.now() &+ heartbeatNanoseconds
        while true {
            if crash != nil, CrashTargets.isHolding {
                // Another thread is writing the last gasp: touch nothing until it is done.
                Posix.sleep(milliseconds: 10)
                continue
            }
            let stop = stopping.load(ordering: .acquiring)
            if stop { buffer.close() }
            let taken = drainEvents()
            if snapshotSignalSlot != nil { answerSnapshotSignal() }
            let now = Self.now()
            if now >= nextHeartbeat {
                heartbeat()
                nextHeartbeat = now &+ heartbeatNanoseconds
            }
            flushAll(now: now)
            if stop { break }

            var timeout: Int32
            if taken >= configuration.eventCapacity / 4 {
                timeout = 0
            } else if taken > 0 {
                // A reading viewer or a recording keeps the short wait: its bytes go out in
                // smaller bursts, which a reader on the same cores keeps up with.
                let reading = recorder != nil || viewers.contains { !$0.output.isSaturated }
                timeout = reading ? 1 : Self.batchWaitMilliseconds
            } else if buffer.prepareToSleep() {
                let untilHeartbeat = nextHeartbeat > now ? (nextHeartbeat - now) / 1_000_000 + 1 : 0
                timeout = Int32(min(untilHeartbeat, 1000))
            } else {
                timeout = 0
            }
            if acceptPausedUntil > now { timeout = min(timeout, 100) }
            pollOnce(timeoutMilliseconds: timeout, now: now)
        }
        finish()
    }

    private func finish() {
        if let snapshotSignalSlot { Posix.stopWakingOnSnapshotSignal(slot: snapshotSignalSlot) }
        let now = Self.now()
        flushAll(now: now)
        for viewer in viewers { viewer.close() }
        viewers.removeAll()
        counters.viewers.store(0, ordering: .relaxed)
        if var recorder {
            if let message = recorder.flush(encoder: &encoder), recorder.recorder.fail(message) { report(message) }
            recorder.close()
            self.recorder = nil
        }
        // A clean end removes the box. Not while the last gasp may be writing into its ring:
        // the process is dying, and the box is its evidence.
        if let blackBox, crash?.setRing(nil) ?? true { blackBox.remove() }
        crash?.close()
        listener.remove()
    }

    // MARK: Events

    /// Takes the waiting events, numbers them, updates the live state and fans them out.
    ///
    /// The per-event loop works on locals (the live state is swapped out of `self` for the
    /// batch, `seq` copied, the events read through the block's base): a stored property of a
    /// class costs a dynamic exclusivity check per access, and this loop runs for every event
    /// the service emits. Each event is read in place, then moved into the live state (which
    /// keeps or drops it), never copied.
    private func drainEvents() -> Int {
        let (_, dropped, droppedFaults) = buffer.take(into: &batch)
        let taken = batch.count
        let events = batch.base
        let targets = !viewers.isEmpty || recorder != nil || blackBox != nil
        // When every target is losing lines and cannot catch up before the next flush (all
        // viewers stalled), routine events are not encoded at all, only counted as lost: a
        // stalled viewer costs no more than none. Fault-class lines are still encoded, for
        // their reserve. The black box never loses a line: with it, every event is encoded.
        let saturated = targets && blackBox == nil
            && viewers.allSatisfy(\.output.isSaturated) && (recorder?.output.isSaturated ?? true)
        let encode = targets && !saturated
        var live = LiveState.empty // shares the static's storage: no allocation
        swap(&live, &self.live)
        defer { swap(&live, &self.live) }
        var unencoded: UInt64 = 0
        do {
            var index = 0
            while index < taken {
                let end = min(taken, index + Self.chunkEvents)
                var seq = self.seq
                if !encode {
                    for i in index..<end {
                        seq &+= 1
                        if saturated {
                            if events[i].isFaultClass {
                                // The lines lost before it are counted first, so seq keeps increasing.
                                loseUnencoded(&unencoded, through: seq &- 1)
                                self.seq = seq
                                send(events[i])
                            } else {
                                unencoded &+= 1
                            }
                        }
                        live.apply((events + i).move(), seq: seq)
                    }
                    self.seq = seq
                } else {
                    // Locals for the loop, as `live`: each access to the stored ones was a
                    // dynamic exclusivity check, an eighth of this thread's time with a viewer.
                    var chunk: [UInt8] = [], marks: [LineEncoder.Mark] = [], encoder = LineEncoder.empty
                    swap(&chunk, &self.chunk)
                    swap(&marks, &self.marks)
                    swap(&encoder, &self.encoder)
                    chunk.removeAll(keepingCapacity: true)
                    marks.removeAll(keepingCapacity: true)
                    var faults = 0
                    for i in index..<end {
                        seq &+= 1
                        encoder.append(events[i], seq: seq, to: &chunk)
                        let isFault = events[i].isFaultClass
                        if isFault { faults += 1 }
                        marks.append(.init(end: chunk.count, seq: seq, isFault: isFault))
                        live.apply((events + i).move(), seq: seq)
                    }
                    swap(&chunk, &self.chunk)
                    swap(&marks, &self.marks)
                    swap(&encoder, &self.encoder)
                    self.seq = seq
                    markedFaults = faults
                    // Before the chunk reaches any target: a crash line written meanwhile
                    // takes a seq above every line of it.
                    crash?.publish(seq)
                    fanOut()
                    // A batch gathers for a few milliseconds, several chunks of a burst: each
                    // chunk goes out now, so no viewer's buffer has to hold the whole batch.
                    if end < taken { flushAll(now: Self.now()) }
                }
                crash?.publish(self.seq)
                index = end
            }
        }
        loseUnencoded(&unencoded, through: seq)
        batch.reset() // every event was moved into the live state
        counters.delivered.add(UInt64(taken))
        if dropped > reportedDropped {
            // The buffer overflowed: every stream learns how many events it will never see.
            broadcast(Event(.dropped(Dropped(count: dropped - reportedDropped, faults: droppedFaults - reportedDroppedFaults))))
            reportedDropped = dropped
            reportedDroppedFaults = droppedFaults
        }
        return taken
    }

    /// Counts the last `count` events, up to `seq`, as lost by every target, which are all
    /// saturated; they were never encoded.
    private func loseUnencoded(_ count: inout UInt64, through seq: UInt64) {
        guard count > 0 else { return }
        for viewer in viewers { viewer.output.lose(count, lastSeq: seq) }
        counters.viewerLinesDropped.add(count &* UInt64(viewers.count))
        recorder?.output.lose(count, lastSeq: seq)
        count = 0
    }

    /// Numbers `event` and sends it to every target.
    private func broadcast(_ event: Event) {
        seq &+= 1
        crash?.publish(seq)
        guard !viewers.isEmpty || recorder != nil || blackBox != nil else { return }
        send(event)
    }

    /// Sends `event`, already numbered `seq`, to every target, alone in its chunk.
    private func send(_ event: Event) {
        chunk.removeAll(keepingCapacity: true)
        marks.removeAll(keepingCapacity: true)
        encoder.append(event, seq: seq, to: &chunk)
        marks.append(.init(end: chunk.count, seq: seq, isFault: event.isFaultClass))
        markedFaults = event.isFaultClass ? 1 : 0
        crash?.publish(seq)
        fanOut()
    }

    private func fanOut() {
        for viewer in viewers {
            let before = viewer.output.lost
            viewer.output.append(chunk: chunk, lines: marks, faults: markedFaults, encoder: &encoder)
            if viewer.output.lost > before { counters.viewerLinesDropped.add(viewer.output.lost - before) }
        }
        recorder?.output.append(chunk: chunk, lines: marks, faults: markedFaults, encoder: &encoder)
        if let blackBox {
            // Inside the crash handler's gate, as every target: the crash line must not be
            // copied over by a chunk (held, the chunk is left out; the process is dying).
            chunk.withUnsafeBytes { bytes in
                if crash != nil { CrashTargets.pass { blackBox.append(bytes) } } else { blackBox.append(bytes) }
            }
        }
    }

    // MARK: Viewers' requests

    /// Answers each request of `viewer` with a `viewer.action` event (numbered and sent like
    /// any other, so every viewer and the recording see it), then carries out what was
    /// accepted: the event goes first, so it comes before the ends it causes.
    private func answerRequests(of viewer: Viewer, now: UInt64) {
        let lines = viewer.requests
        viewer.requests.removeAll(keepingCapacity: true)
        for line in lines {
            // The black box's snapshot is answered to this viewer alone, not recorded as an action.
            if line == BlackBox.snapshotRequest {
                answerSnapshot(viewer, now: now)
                continue
            }
            let answer = Self.answer(line.withUnsafeBufferPointer { ViewerRequest.parse($0) }, viewer: viewer.pid,
                                     actionsEnabled: configuration.actions)
            broadcast(Event(.viewerAction(answer.record)))
            _ = answer.carryOut?()
        }
    }

    /// What to record for a request, and (when it is accepted) what to do.
    static func answer(_ parsed: Result<ViewerRequest, ViewerRequestError>, viewer: pid_t, actionsEnabled: Bool)
        -> (record: ViewerAction, carryOut: (() -> Bool)?) {
        let request: ViewerRequest
        switch parsed {
        case .failure(let error):
            return (ViewerAction(viewer: viewer, request: error.request, action: "", target: nil, result: .refused, reason: error.reason), nil)
        case .success(let parsed):
            request = parsed
        }
        func refuse(_ reason: String) -> (ViewerAction, (() -> Bool)?) {
            (ViewerAction(viewer: viewer, request: request.request, action: request.action, target: request.target,
                          result: .refused, reason: reason), nil)
        }
        guard request.action == "cancel" else { return refuse("unknown action (the only one is cancel)") }
        guard actionsEnabled else {
            return refuse("actions are off in this service (it must set MonitorConfiguration.actions)")
        }
        let done = ViewerAction(viewer: viewer, request: request.request, action: request.action, target: request.target, result: .cancelled)
        switch request.target {
        case nil:
            return refuse("cancel names no task or group")
        case .task(let id)?:
            // Looked up now, not in the closure: a child that is not registered is refused.
            return ActionTargets.contains(task: id) ? (done, { ActionTargets.cancel(task: id) })
                : refuse("no running child \(id) in a group of this service's monitor")
        case .group(let id)?:
            return ActionTargets.contains(group: id) ? (done, { ActionTargets.cancel(group: id) })
                : refuse("no open group \(id) in this service's monitor")
        }
    }

    private func heartbeat() {
        let totals = buffer.totals
        // The viewer count is what lets `safegroup list` show how many are watching.
        broadcast(Event(.heartbeat(Heartbeat(produced: totals.produced, dropped: totals.dropped, viewers: viewers.count))))
    }

    // MARK: Output

    private func flushAll(now: UInt64) {
        var index = 0
        while index < viewers.count {
            let viewer = viewers[index]
            let result = viewer.isBlocked ? .open : viewer.flush(now: now, encoder: &encoder)
            let stalled = viewer.output.isLosing && now &- viewer.lastProgress > stallNanoseconds
            if result == .closed || stalled {
                disconnect(at: index)
                if stalled && result != .closed { counters.viewersStalled.add() }
            } else {
                index += 1
            }
        }
        if var recorder {
            if let message = recorder.flush(encoder: &encoder) {
                recorder.close()
                self.recorder = nil
                if recorder.recorder.fail(message) { report(message) }
            } else {
                self.recorder = recorder
            }
        }
    }

    private func disconnect(at index: Int) {
        viewers[index].close()
        viewers.remove(at: index)
        counters.viewers.store(viewers.count, ordering: .relaxed)
    }

    /// Hands `message` to the reporter on a short-lived thread of its own.
    private func report(_ message: String) {
        let reporter = self.reporter
        if let thread = try? Posix.startThread(name: "safegroup-report", { reporter(message) }) {
            Posix.detach(thread)
        }
    }

    // MARK: Polling

    private func pollOnce(timeoutMilliseconds: Int32, now: UInt64) {
        var fds = [pollfd](repeating: pollfd(), count: 2 + viewers.count)
        fds[0] = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
        let accepting = now >= acceptPausedUntil
        fds[1] = pollfd(fd: accepting ? listener.fd : -1, events: Int16(POLLIN), revents: 0)
        for (i, viewer) in viewers.enumerated() {
            var events: Int16 = 0
            if !viewer.doneSending { events |= Int16(POLLIN) }
            if viewer.output.pending > 0 { events |= Int16(POLLOUT) }
            fds[2 + i] = pollfd(fd: viewer.fd, events: events, revents: 0)
        }
        let ready = (try? Posix.poll(&fds, timeoutMilliseconds: timeoutMilliseconds)) ?? 0
        guard ready > 0 else { return }
        if fds[0].revents != 0 { Posix.drain(eventfd: wakeFD) }

        // Viewers first, by index, before accepting changes the array.
        var closing: [Int] = []
        for i in viewers.indices {
            let revents = Int32(fds[2 + i].revents)
            if revents == 0 { continue }
            let viewer = viewers[i]
            if revents & (POLLHUP | POLLERR | POLLNVAL) != 0 {
                closing.append(i)
                continue
            }
            if revents & POLLIN != 0 {
                if viewer.readInput() == .closed { closing.append(i); continue }
                if !viewer.requests.isEmpty { answerRequests(of: viewer, now: now) }
            }
            if revents & POLLOUT != 0 {
                viewer.isBlocked = false
                if viewer.flush(now: now, encoder: &encoder) == .closed { closing.append(i) }
            }
        }
        for i in closing.reversed() { disconnect(at: i) }

        if fds[1].revents & Int16(POLLIN) != 0 { acceptAll(now: now) }
    }

    /// After SIGUSR1: writes the black box to a recording beside it and reports where.
    private func answerSnapshotSignal() {
        let signals = Posix.snapshotSignals
        guard signals != snapshotSignalsSeen, let blackBox else { return }
        snapshotSignalsSeen = signals
        do {
            switch try blackBox.writeSnapshot() {
            case .written(let path): report("safegroup: SIGUSR1: black box snapshot written to \(path)")
            case .busy: report("safegroup: SIGUSR1: no black box snapshot: one was written less than a second ago; send it again in a second")
            }
        } catch {
            report("safegroup: SIGUSR1: cannot write a black box snapshot: \(error)")
        }
    }

    /// Writes the black box to a recording beside it and tells `viewer` where (or why not):
    /// `safegroup snapshot SOCKET`. The reply is not a wire line; only the asking viewer gets it.
    private func answerSnapshot(_ viewer: Viewer, now: UInt64) {
        let reply: [UInt8]
        if let blackBox {
            do {
                switch try blackBox.writeSnapshot() {
                case .written(let path): reply = BlackBox.snapshotReply(path: path, failure: nil)
                case .busy: reply = BlackBox.snapshotReply(path: nil, failure: "busy: a snapshot was written less than a second ago; retry in a second")
                }
            } catch {
                reply = BlackBox.snapshotReply(path: nil, failure: "cannot write the snapshot: \(error)")
            }
        } else {
            reply = BlackBox.snapshotReply(path: nil, failure: "this service has no black box (turn it on with \(BlackBox.environmentVariable)=on)")
        }
        reply.withUnsafeBytes { viewer.output.append($0, seq: seq, isFault: true, encoder: &encoder) }
        if !viewer.isBlocked { _ = viewer.flush(now: now, encoder: &encoder) }
    }

    private func acceptAll(now: UInt64) {
        while true {
            let fd: Int32?
            do { fd = try Posix.accept(listener.fd, path: listener.path) } catch {
                // Out of descriptors or memory: leave the rest in the backlog for a while.
                acceptPausedUntil = now &+ 100_000_000
                return
            }
            guard let fd else { return }
            admit(fd, now: now)
        }
    }

    private func admit(_ fd: Int32, now: UInt64) {
        guard let credentials = try? Posix.peerCredentials(fd) else {
            Posix.close(fd) // the peer is already gone
            return
        }
        guard credentials.uid == uid || credentials.uid == 0 else {
            // Count first: whoever sees the close may already look at the counters.
            counters.peersRefused.add()
            Posix.close(fd)
            return
        }
        guard viewers.count < configuration.maxViewers else {
            let refusal = LineEncoder.refusalLine(maxViewers: configuration.maxViewers)
            counters.viewersRefused.add()
            _ = refusal.withUnsafeBytes { try? Posix.send(fd, $0) }
            Posix.close(fd)
            return
        }
        let viewer = Viewer(fd: fd, pid: credentials.pid, capacity: configuration.viewerBufferBytes, now: now)
        viewer.output.append(headerLine: headerLine)
        var line: [UInt8] = []
        for entry in live.snapshot() {
            line.removeAll(keepingCapacity: true)
            encoder.append(entry.event, seq: entry.seq, to: &line)
            line.withUnsafeBytes { viewer.output.append($0, seq: entry.seq, isFault: entry.event.isFaultClass, encoder: &encoder) }
        }
        counters.viewerLinesDropped.add(viewer.output.lost)
        counters.accepted.add()
        // A crash target before the first flush: a viewer that has read the snapshot may see
        // the service crash at once, and must get the crash event.
        viewer.crashSlot = crash?.add(fd: fd, isSocket: true)
        if viewer.flush(now: now, encoder: &encoder) == .closed {
            viewer.close()
            return
        }
        viewers.append(viewer)
        counters.viewers.store(viewers.count, ordering: .relaxed)
    }
}
