import GroupEvents
import SafeGroup
import Synchronization

/// A run of a workload that ``DemoControl/cancelGroup(_:)`` cancelled.
public struct CancelledRun: Hashable, Sendable {
    /// The run's name, which is also the name of its top-level group.
    public let name: String
    /// The top-level group, once it was opened.
    public let group: GroupID?
}

/// The workload runs in flight, each in a task of its own so that one of them can be cancelled.
///
/// A `TaskGroup` cannot cancel one of its children, and a `SafeGroup` can be cancelled from
/// outside only through the task that owns it once its body has returned; so each run gets an
/// unstructured task whose handle is kept here. Nothing outlives its owner for all that: the
/// starter of a run awaits the registry's drain (``waitUntilFewer(than:)``).
final class RunRegistry: Sendable {
    /// One run in flight.
    final class Entry: Sendable {
        let key: UInt64
        let name: String
        private let state = Mutex<(group: GroupID?, task: Task<Void, Never>?)>((nil, nil))

        init(key: UInt64, name: String) {
            self.key = key
            self.name = name
        }

        func opened(_ group: GroupID) { state.withLock { $0.group = $0.group ?? group } }
        var group: GroupID? { state.withLock { $0.group } }
        fileprivate func attach(_ task: Task<Void, Never>) { state.withLock { $0.task = task } }
        fileprivate func cancel() { state.withLock { $0.task }?.cancel() }
    }

    private struct State: ~Copyable {
        var running: [UInt64: Entry] = [:]
        var nextKey: UInt64 = 0
        var waiters: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    init() {
        state = Mutex(State())
    }

    /// How many runs are in flight.
    var count: Int { state.withLock { $0.running.count } }

    /// Starts `body` as a run named `name`.
    func start(_ name: String, body: @escaping @Sendable (Entry) async -> Void) {
        let entry = state.withLock { state in
            state.nextKey += 1
            let entry = Entry(key: state.nextKey, name: name)
            state.running[entry.key] = entry
            return entry
        }
        // Detached: a run is a top-level request of the service, not a child of whoever asked.
        // It keeps the asker's cancellation reason, so a drained service's runs say why they stopped.
        let reason = CancellationReason.current
        entry.attach(Task.detached { [self] in
            await CancellationReason.$current.withValue(reason) { await body(entry) }
            finished(entry)
        })
    }

    /// Cancels the run in flight whose top-level group is `group`; nil when there is none.
    func cancel(group: GroupID) -> CancelledRun? {
        let entry = state.withLock { state in state.running.values.first { $0.group == group } }
        guard let entry else { return nil }
        entry.cancel()
        return CancelledRun(name: entry.name, group: group)
    }

    /// Cancels every run in flight.
    func cancelAll() {
        for entry in state.withLock({ Array($0.running.values) }) { entry.cancel() }
    }

    /// Returns once fewer than `limit` runs are in flight.
    func waitUntilFewer(than limit: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.running.count < limit { return true }
                state.waiters.append((limit, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func finished(_ entry: Entry) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running.removeValue(forKey: entry.key)
            let count = state.running.count
            let ready = state.waiters.filter { count < $0.limit }.map(\.continuation)
            state.waiters.removeAll { count < $0.limit }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}
