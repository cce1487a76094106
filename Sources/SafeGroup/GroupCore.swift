import GroupEvents
import Synchronization

/// The state a group shares between its scope and its children.
///
/// Children take its lock only when they have something to record: a value, a fault, a
/// cancellation, a slot to give back. A `Void` child that returns in a group with no limit
/// takes no lock at all.
@usableFromInline
final class GroupCore<Success: Sendable>: Sendable {
    @usableFromInline let id: GroupID
    @usableFromInline let name: String
    let policy: FailurePolicy
    @usableFromInline let limit: Int?
    @usableFromInline let defaultTimeout: Duration?
    let slowCancelThreshold: Duration
    /// What the children bind as their context; nil when there is no sink (nothing to inherit).
    @usableFromInline let context: GroupContext?
    /// Whether the group emits events: it resolved a sink when it opened. Without one, no event
    /// is built at all.
    @usableFromInline let emits: Bool
    /// The sink the group resolved, or one that drops everything when there is none; only
    /// called when `emits`.
    ///
    /// The children's path emits through this stored, non-optional existential, which Swift
    /// borrows in place: taking a sink out of an optional, or going through `context`, copied
    /// the existential or retained the context, and both cores then fought over that reference
    /// count for every event.
    @usableFromInline let emitter: any EventSink
    /// Whether the children run in a context the throw hook sees (their own, or the group's):
    /// a timeout's timer then steps out of it.
    let inThrowHookContext: Bool
    /// The instrument of the sink, when it is an ``InstrumentedEventSink`` with one (a tracer):
    /// the group's scope and each child run through it.
    @usableFromInline let instrument: (any GroupInstrument)?

    private struct State: ~Copyable {
        var faults: [Fault] = []
        var results: [GroupReport<Success>.ChildResult] = []
        var cancellation: CancellationCause?
        var cancelledAt: MonotonicTime?
        var policyTriggered = false
        /// Children that cancellation has reached and that have not ended yet.
        var cancelledRunning: Set<TaskID> = []
        var slow: [TaskID] = []
        var slowSet: Set<TaskID> = []
        var slowTimer: Task<Void, Never>?
        var closed = false
        // The concurrency limit.
        var slotsInUse = 0
        var slotWaiters: [CheckedContinuation<Void, Never>] = []
        var slotWaitersHead = 0
        // Failed children whose fault and end wait to be emitted, in the order they failed: a
        // fault whose stack is being symbolicated off the children's path, and those behind it.
        var emitQueue: [QueuedEnd] = []
        // One caller emits the queue's ready head at a time, so events keep the queue's order.
        var flushing = false
        var finishingWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// Children of a plain (collecting) group that have finished; see ``SafeGroup``.
    @usableFromInline let finished = Atomic<Int>(0)
    /// Set when a viewer cancelled the group (``ActionTargets``): children that start later cancel themselves.
    @usableFromInline let cancelledByViewer = Atomic<Bool>(false)

    init(id: GroupID, name: String, policy: FailurePolicy, limit: Int?, defaultTimeout: Duration?,
         slowCancelThreshold: Duration, sink: (any EventSink)?, inThrowHookContext: Bool) {
        self.id = id
        self.name = name
        self.policy = policy
        self.limit = limit
        self.defaultTimeout = defaultTimeout
        self.slowCancelThreshold = slowCancelThreshold
        self.context = sink.map { GroupContext(id: id, sink: $0) }
        self.emits = sink != nil
        self.emitter = sink ?? DroppingSink()
        self.inThrowHookContext = inThrowHookContext
        self.instrument = (sink as? any InstrumentedEventSink)?.instrument
    }

    // MARK: Slots

    /// Takes a slot under the limit, waiting for one if all are in use.
    @usableFromInline
    func acquireSlot(isolation: isolated (any Actor)? = #isolation) async {
        guard let limit else { return }
        if state.withLock({ Self.takeFreeSlot(&$0, limit: limit) }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                // A slot may have been freed between the check above and now.
                if Self.takeFreeSlot(&state, limit: limit) { return true }
                state.slotWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Takes a slot if one is free now.
    @usableFromInline
    func tryAcquireSlot() -> Bool {
        guard let limit else { return true }
        return state.withLock { Self.takeFreeSlot(&$0, limit: limit) }
    }

    /// Takes a slot when one is free and nobody is queued for it (first come, first served).
    private static func takeFreeSlot(_ state: inout State, limit: Int) -> Bool {
        guard state.slotsInUse < limit && state.slotWaitersHead == state.slotWaiters.count else { return false }
        state.slotsInUse += 1
        return true
    }

    /// Gives a slot back, or hands it straight to the first waiter.
    @usableFromInline
    func releaseSlot() {
        guard limit != nil else { return }
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.slotWaitersHead < state.slotWaiters.count {
                let waiter = state.slotWaiters[state.slotWaitersHead]
                state.slotWaitersHead += 1
                if state.slotWaitersHead == state.slotWaiters.count {
                    state.slotWaiters.removeAll(keepingCapacity: true)
                    state.slotWaitersHead = 0
                }
                return waiter  // the slot passes to the waiter: slotsInUse is unchanged
            }
            state.slotsInUse -= 1
            return nil
        }
        next?.resume()
    }

    // MARK: Children

    /// Keeps a child's value (callers skip it for `Void` children, which have nothing to keep).
    @usableFromInline
    func recordValue(_ value: Success, task: TaskID, name: String) {
        state.withLock { $0.results.append(.init(task: task, name: name, value: value)) }
    }

    /// Says whether a fault of `kind` in `task` cancels the siblings (the first that may, does),
    /// and notes that cancellation. Decided when the child fails, before its fault is finished.
    func policyCancels(_ kind: FaultKind, task: TaskID) -> Bool {
        let (cancelSiblings, startTimer) = state.withLock { state -> (Bool, Bool) in
            guard policy == .cancelOnFirstFault, kind != .cancelled, !state.policyTriggered else { return (false, false) }
            state.policyTriggered = true
            return (true, Self.noteCancellation(&state, cause: .fault(task)))
        }
        if startTimer { startSlowCancelTimer() }
        return cancelSiblings
    }

    /// Emits a kept fault.
    private func emitFault(_ fault: Fault) {
        if emits { emitter.emit(Event(time: fault.endedAt, .faultRecorded(fault.info))) }
    }

    /// Finishes a failed child: keeps its fault and emits its end, at once when the fault's stack
    /// is ready (none, or symbolicated before), else once it is symbolicated, off the child's
    /// path: the child returns at once, so a fail-fast group cancels the siblings without waiting,
    /// and no child holds a thread of the shared pool for it. ``close(childCount:)`` waits for it.
    func finish(_ pending: FaultFactory.Pending, task: TaskID, status: TaskStatus, startedAt: MonotonicTime, wasCancelled: Bool) {
        // Its work has stopped: the time its stack takes to symbolicate is not slowness to cancel.
        if wasCancelled { state.withLock { _ = $0.cancelledRunning.remove(task) } }
        if limit != nil { releaseSlot() }
        // Its place in the report is taken now: faults are listed in the order children failed,
        // and their events come in that order too.
        let (place, queued) = state.withLock { state -> (Int, Bool) in
            state.faults.append(pending.fault)
            let place = state.faults.count - 1
            guard pending.needsSymbolication || !state.emitQueue.isEmpty else { return (place, false) }
            state.emitQueue.append(QueuedEnd(place: place, task: task, status: status, startedAt: startedAt,
                                             endedAt: pending.fault.endedAt, ready: !pending.needsSymbolication))
            return (place, true)
        }
        guard queued else {
            emitFault(pending.fault)
            emitEnd(task, status: status, startedAt: startedAt, endedAt: pending.fault.endedAt, wasSlow: wasSlow(task))
            return
        }
        guard pending.needsSymbolication else { return flushEmits() }
        Task.detached { [self] in
            let fault = await pending.resolved()
            state.withLock { state in
                state.faults[place] = fault
                if let index = state.emitQueue.firstIndex(where: { $0.place == place }) { state.emitQueue[index].ready = true }
            }
            flushEmits()
        }
    }

    /// A failed child's end, waiting in ``State/emitQueue``.
    struct QueuedEnd {
        let place: Int
        let task: TaskID
        let status: TaskStatus
        let startedAt: MonotonicTime
        let endedAt: MonotonicTime
        var ready: Bool
    }

    /// Emits the queue's ready head (each fault, then its child's end), unless another caller is
    /// at it: that one takes what became ready meanwhile before it stops.
    private func flushEmits() {
        while true {
            let batch = state.withLock { state -> [(QueuedEnd, Fault)]? in
                guard !state.flushing else { return nil }
                let ready = state.emitQueue.prefix { $0.ready }
                guard !ready.isEmpty else { return nil }
                state.flushing = true
                state.emitQueue.removeFirst(ready.count)
                return ready.map { ($0, state.faults[$0.place]) }
            }
            guard let batch else { return }
            for (end, fault) in batch {
                emitFault(fault)
                emitEnd(end.task, status: end.status, startedAt: end.startedAt, endedAt: end.endedAt, wasSlow: wasSlow(end.task))
            }
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.flushing = false
                guard state.emitQueue.isEmpty else { return [] }
                defer { state.finishingWaiters = [] }
                return state.finishingWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Waits until every failed child's fault is kept and emitted.
    private func faultsFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.emitQueue.isEmpty && !state.flushing { return true }
                state.finishingWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Whether `task` was reported slow to cancel.
    private func wasSlow(_ task: TaskID) -> Bool {
        emits && state.withLock { $0.slowSet.contains(task) }
    }

    /// Emits a child's end (its slot and its place among the cancelled are already dealt with).
    private func emitEnd(_ task: TaskID, status: TaskStatus, startedAt: MonotonicTime, endedAt: MonotonicTime, wasSlow: Bool) {
        guard emits else { return }
        emitter.emit(Event(time: endedAt, .taskEnded(TaskEnded(task: task, group: id, status: status,
                                                              durationNanoseconds: endedAt.nanoseconds(since: startedAt),
                                                              wasSlowToCancel: wasSlow))))
    }

    /// Cancellation reached a running child.
    @usableFromInline
    func childCancelled(_ task: TaskID) {
        state.withLock { _ = $0.cancelledRunning.insert(task) }
    }

    /// A child returned: drops it from the cancelled set, frees its slot, emits its end.
    @usableFromInline
    func childReturned(_ child: ChildRunner<Success>, startedAt: MonotonicTime) {
        var wasSlow = false
        if Task.isCancelled {
            wasSlow = state.withLock { state in
                state.cancelledRunning.remove(child.task)
                return state.slowSet.contains(child.task)
            }
        }
        if limit != nil { releaseSlot() }
        if emits { emitEnd(child.task, status: .ok, startedAt: startedAt, endedAt: .now(), wasSlow: wasSlow) }
    }

    /// A child threw: records the fault, ends the child; returns whether to cancel the siblings.
    @usableFromInline
    func childFailed(_ child: ChildRunner<Success>, error: any Error, startedAt: MonotonicTime) -> Bool {
        let endedAt = MonotonicTime.now()
        let kind: FaultKind
        if error is CancellationError && Task.isCancelled {
            kind = .cancelled
        } else if let described = error as? any FaultDescribingError {
            kind = described.faultDescription.kind
        } else {
            kind = .error
        }
        if kind == .cancelled && state.withLock({ $0.cancellation == .gracefulShutdown }) {
            // Cancelled by the shutdown the service asked for: an end, not a fault.
            state.withLock { _ = $0.cancelledRunning.remove(child.task) }
            if limit != nil { releaseSlot() }
            emitEnd(child.task, status: .cancelled, startedAt: startedAt, endedAt: endedAt, wasSlow: wasSlow(child.task))
            return false
        }
        let cancelSiblings = policyCancels(kind, task: child.task)
        let pending = FaultFactory.fault(kind, error: error, task: child.task, name: child.name, site: child.site,
                                         group: id, groupName: name, startedAt: startedAt, endedAt: endedAt)
        let status: TaskStatus = switch kind {
        case .cancelled: .cancelled
        case .crash: .crashed
        default: .failed
        }
        finish(pending, task: child.task, status: status, startedAt: startedAt, wasCancelled: Task.isCancelled)
        return cancelSiblings
    }

    /// Emits a child's spawn (only called when `emits`); returns the time for its start event's wait.
    @usableFromInline
    func spawned(_ task: TaskID, name: String, site: SourceSite, isolated: Bool) -> MonotonicTime {
        let now = MonotonicTime.now()
        let event = Event(time: now, .taskSpawned(TaskSpawned(task: task, group: id, name: name, site: site, isolated: isolated)))
        emitter.emit(event)
        return now
    }

    /// Emits a child's start (only called when `emits`).
    @usableFromInline
    func started(_ task: TaskID, at startedAt: MonotonicTime, spawnedAt: MonotonicTime?) {
        // Built before the call: arguments that run code made the call copy the sink first.
        let waited = spawnedAt.map { startedAt.nanoseconds(since: $0) } ?? 0
        let event = Event(time: startedAt, .taskStarted(TaskStarted(task: task, group: id, waitedNanoseconds: waited)))
        emitter.emit(event)
    }

    @usableFromInline
    static func checkTimeout(_ timeout: Duration, child: String) {
        precondition(timeout > .zero, "SafeGroup.spawn(\"\(child)\", timeout: \(timeout)): a timeout must be positive (pass nil for none)")
    }

    /// Reports a child that is still running long after a timeout cancelled it.
    func reportSlow(_ task: TaskID, since cancelledAt: MonotonicTime) {
        let isNew = state.withLock { state in
            guard !state.closed, state.slowSet.insert(task).inserted else { return false }
            state.slow.append(task)
            return true
        }
        if isNew {
            let now = MonotonicTime.now()
            if emits {
                emitter.emit(Event(time: now, .slowToCancel(SlowToCancel(task: task, group: id, sinceCancelNanoseconds: now.nanoseconds(since: cancelledAt)))))
            }
        }
    }

    // MARK: Cancellation

    /// A viewer's cancel of the whole group: recorded as requested (the `viewer.action` event
    /// names the viewer), and every child yet to start cancels itself.
    func cancelFromViewer() {
        cancelledByViewer.store(true, ordering: .releasing)
        noteCancellation(.requested)
    }

    /// Records why the group was cancelled (the first cause wins) and starts the slow-cancel timer.
    func noteCancellation(_ cause: CancellationCause) {
        let startTimer = state.withLock { Self.noteCancellation(&$0, cause: cause) }
        if startTimer { startSlowCancelTimer() }
    }

    /// Returns true when this is the first cancellation, so the caller starts the timer.
    private static func noteCancellation(_ state: inout State, cause: CancellationCause) -> Bool {
        guard state.cancellation == nil, !state.closed else { return false }
        state.cancellation = cause
        state.cancelledAt = .now()
        return true
    }

    private func startSlowCancelTimer() {
        let threshold = slowCancelThreshold
        // Unstructured on purpose: it must sleep while the group is cancelled. It is cancelled
        // when the group closes, and touches nothing but this core.
        let timer = Task.detached { [self] in
            do { try await Task.sleep(for: threshold) } catch { return }
            self.reportSlowAfterCancellation()
        }
        state.withLock { state in
            if state.closed { timer.cancel() } else { state.slowTimer = timer }
        }
    }

    private func reportSlowAfterCancellation() {
        let (slow, cancelledAt) = state.withLock { state -> ([TaskID], MonotonicTime) in
            guard !state.closed, let cancelledAt = state.cancelledAt else { return ([], .now()) }
            let slow = state.cancelledRunning.sorted().filter { state.slowSet.insert($0).inserted }
            state.slow.append(contentsOf: slow)
            return (slow, cancelledAt)
        }
        guard emits, !slow.isEmpty else { return }
        let now = MonotonicTime.now()
        for task in slow {
            emitter.emit(Event(time: now, .slowToCancel(SlowToCancel(task: task, group: id, sinceCancelNanoseconds: now.nanoseconds(since: cancelledAt)))))
        }
    }

    // MARK: Closing

    func close(childCount: Int) async -> GroupReport<Success> {
        await faultsFinished()
        let report = state.withLock { state -> GroupReport<Success> in
            state.closed = true
            state.slowTimer?.cancel()
            state.slowTimer = nil
            return GroupReport(group: id, name: name, faults: state.faults, results: state.results,
                               childCount: childCount, cancellation: state.cancellation, slowToCancel: state.slow)
        }
        if emits {
            emitter.emit(Event(.groupClosed(GroupClosed(group: id, outcome: report.outcome, faultCount: report.faults.count,
                                                        childCount: childCount, cancellation: report.cancellation))))
        }
        return report
    }
}

/// Stands in for a missing sink in ``GroupCore/emitter``; never called while the group has none.
struct DroppingSink: EventSink {
    func emit(_ event: Event) {}
}
