import Synchronization

/// Where a viewer's action finds the task or group it names: a process-wide registry that
/// SafeGroup fills and the monitor uses, like ``ChildTracking``, so neither depends on the other.
///
/// Off until a monitor with actions turned on calls ``enable()``: until then each child pays
/// one atomic load. Once on, each child of a group that emits events registers its own task
/// while it runs (a lock, an insert and a removal, about 0.1 µs), and each such group
/// registers a way to cancel all its children. An entry is removed, under the same lock,
/// before its task can end, so ``cancel(task:)`` never touches a task that is gone.
public enum ActionTargets {
    @usableFromInline static let enabled = Atomic<Bool>(false)

    /// A running child's task. Unchecked: it is only cancelled (which is thread-safe), only
    /// under the lock, and only while registered, that is while the task is alive.
    private struct Handle: @unchecked Sendable {
        let task: UnsafeCurrentTask
        let group: GroupID
    }

    private struct Entries: ~Copyable {
        var tasks: [TaskID: Handle] = [:]
        var groups: [GroupID: @Sendable () -> Void] = [:]
    }

    private static let entries = Mutex(Entries())

    /// Turns registration on for the process's life (children already running are not registered).
    public static func enable() { enabled.store(true, ordering: .releasing) }

    /// Whether children register.
    @inlinable public static var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    /// Registers the current task as child `task` of `group`; returns false when it could not
    /// (no task). Call ``unregister(task:)`` before the task's work returns.
    public static func registerCurrentTask(as task: TaskID, group: GroupID) -> Bool {
        withUnsafeCurrentTask { current in
            guard let current else { return false }
            let handle = Handle(task: current, group: group)
            entries.withLock { $0.tasks[task] = handle }
            return true
        }
    }

    public static func unregister(task: TaskID) {
        _ = entries.withLock { $0.tasks.removeValue(forKey: task) }
    }

    /// Registers how to cancel every child of `group`, running or yet to run.
    public static func register(group: GroupID, cancel: @escaping @Sendable () -> Void) {
        entries.withLock { $0.groups[group] = cancel }
    }

    public static func unregister(group: GroupID) {
        _ = entries.withLock { $0.groups.removeValue(forKey: group) }
    }

    /// Whether a running child `task` is registered.
    public static func contains(task: TaskID) -> Bool { entries.withLock { $0.tasks[task] != nil } }
    /// Whether an open group `group` is registered.
    public static func contains(group: GroupID) -> Bool { entries.withLock { $0.groups[group] != nil } }

    /// Cancels the registered task `task`; false when no running child has that id. Its
    /// cancellation handlers run here, on the caller's thread.
    public static func cancel(task: TaskID) -> Bool {
        entries.withLock { entries in
            guard let current = entries.tasks[task] else { return false }
            current.task.cancel()
            return true
        }
    }

    /// Cancels every child of the registered group `group`, running or yet to run; false when
    /// no open group has that id. The group's hook runs first (children that start after it
    /// cancel themselves), then every running child is cancelled.
    public static func cancel(group: GroupID) -> Bool {
        guard let cancel = entries.withLock({ $0.groups[group] }) else { return false }
        cancel()
        entries.withLock { entries in
            for entry in entries.tasks.values where entry.group == group { entry.task.cancel() }
        }
        return true
    }
}
