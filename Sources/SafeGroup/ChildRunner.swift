import GroupEvents

/// Runs one child: its operation, its timeout, and what it leaves in the group.
///
/// The path of a child that returns is inlinable (specialized for the caller's `Success`)
/// and takes no lock when the group has no limit, no sink and `Void` children. Faults and
/// timeouts take the slower, out-of-line path in ``GroupCore``.
@usableFromInline
struct ChildRunner<Success: Sendable>: Sendable {
    @usableFromInline let core: GroupCore<Success>
    @usableFromInline let task: TaskID
    @usableFromInline let name: String
    @usableFromInline let site: SourceSite
    @usableFromInline let timeout: Duration?
    /// When the child was spawned; only known when events are on.
    @usableFromInline let spawnedAt: MonotonicTime?

    @inlinable
    init(core: GroupCore<Success>, task: TaskID, name: String, site: SourceSite, timeout: Duration?, spawnedAt: MonotonicTime?) {
        self.core = core
        self.task = task
        self.name = name
        self.site = site
        self.timeout = timeout
        self.spawnedAt = spawnedAt
    }

    /// Runs the operation; returns true when the group's policy says to cancel the siblings.
    @inlinable
    func run(_ operation: @escaping @Sendable () async throws -> Success) async -> Bool {
        let startedAt = MonotonicTime.now()
        guard let context = core.context else { return await execute(operation, startedAt: startedAt) }
        core.started(task, at: startedAt, spawnedAt: spawnedAt, sink: context.sink)
        // A crash handler, when one is installed, learns which child this task runs.
        let tracking = ChildTracking.enter(task: task, group: core.id)
        defer { ChildTracking.leave(tracking) }
        return await TaskContext(task: task, group: context).bind {
            await execute(operation, startedAt: startedAt)
        }
    }

    @inlinable
    func execute(_ operation: @escaping @Sendable () async throws -> Success, startedAt: MonotonicTime) async -> Bool {
        if let timeout {
            return await core.runWithTimeout(timeout, self, operation, startedAt: startedAt)
        }
        let value: Success
        do {
            value = try await withTaskCancellationHandler {
                try await operation()
            } onCancel: { [core, task] in
                core.childCancelled(task)
            }
        } catch {
            return core.childFailed(self, error: error, startedAt: startedAt)
        }
        if Success.self != Void.self { core.recordValue(value, task: task, name: name) }
        if Task.isCancelled || core.limit != nil || core.sink != nil {
            core.childEnded(self, status: .ok, startedAt: startedAt, endedAt: nil)
        }
        return false
    }
}
