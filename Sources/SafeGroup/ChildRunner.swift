import GroupEvents
import Synchronization

/// Runs one child: its operation, its timeout, and what it leaves in the group.
///
/// The path of a child that returns is inlinable (specialized for the caller's `Success`)
/// and takes no lock when the group has no limit, no sink and `Void` children. Faults and
/// timeouts take the slower, out-of-line path in ``GroupCore``.
///
/// A class, holding the operation too: the child's closure then captures this one reference
/// (no context to allocate), and each async frame of the child's path keeps 8 bytes of it, not a
/// copy of every field. As a struct, the frames of a child with events outgrew the task's first
/// allocator slab, and each child paid a second 1 KiB slab. The frames are so close to the
/// slab's end that an out-of-line `TaskContext.bind` did it again (`perf stat -e` on a malloc
/// uprobe counts it; now a child with events makes as many mallocs as one without).
@usableFromInline
final class ChildRunner<Success: Sendable>: Sendable {
    @usableFromInline let core: GroupCore<Success>
    @usableFromInline let task: TaskID
    @usableFromInline let name: String
    @usableFromInline let site: SourceSite
    @usableFromInline let timeout: Duration?
    /// When the child was spawned; only known when events are on.
    @usableFromInline let spawnedAt: MonotonicTime?
    @usableFromInline let operation: @Sendable () async throws -> Success

    @inlinable
    init(core: GroupCore<Success>, task: TaskID, name: String, site: SourceSite, timeout: Duration?, spawnedAt: MonotonicTime?,
         operation: @escaping @Sendable () async throws -> Success) {
        self.core = core
        self.task = task
        self.name = name
        self.site = site
        self.timeout = timeout
        self.spawnedAt = spawnedAt
        self.operation = operation
    }

    /// Runs the operation; returns true when the group's policy says to cancel the siblings.
    @inlinable
    func run() async -> Bool {
        let startedAt = MonotonicTime.now()
        guard let context = core.context else { return await execute(startedAt: startedAt) }
        core.started(task, at: startedAt, spawnedAt: spawnedAt)
        // A viewer's cancel (a service that turned actions on) finds the child here; a child
        // that starts after its group was cancelled that way cancels itself.
        let registered = ActionTargets.isEnabled && ActionTargets.registerCurrentTask(as: task, group: core.id)
        defer { if registered { ActionTargets.unregister(task: task) } }
        if registered && core.cancelledByViewer.load(ordering: .acquiring) { withUnsafeCurrentTask { $0?.cancel() } }
        // A crash handler, when one is installed, learns which child this task runs.
        let tracking = ChildTracking.enter(task: task, group: core.id)
        defer { ChildTracking.leave(tracking) }
        return await TaskContext(task: task, group: context).bind {
            // One branch when the sink has no instrument; the instrumented path is out of line.
            guard let instrument = core.instrument else { return await execute(startedAt: startedAt) }
            return await executeInstrumented(instrument, startedAt: startedAt)
        }
    }

    /// Runs the child through its group's instrument (a tracer opens the child's span around it).
    @usableFromInline
    func executeInstrumented(_ instrument: any GroupInstrument, startedAt: MonotonicTime) async -> Bool {
        let child = InstrumentedChild(task: task, name: name, group: core.id, groupName: core.name, site: site)
        return await instrument.withChild(child) { await execute(startedAt: startedAt) }
    }

    @inlinable
    func execute(startedAt: MonotonicTime) async -> Bool {
        if let timeout {
            return await core.runWithTimeout(timeout, self, startedAt: startedAt)
        }
        let value: Success
        do {
            value = try await withTaskCancellationHandler {
                try await operation()
            } onCancel: {
                self.core.childCancelled(self.task)
            }
        } catch {
            return core.childFailed(self, error: error, startedAt: startedAt)
        }
        if Success.self != Void.self { core.recordValue(value, task: task, name: name) }
        if core.emits || core.limit != nil || Task.isCancelled {
            core.childReturned(self, startedAt: startedAt)
        }
        return false
    }
}
