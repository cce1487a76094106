import GroupEvents

/// The child task that is running now, if it was spawned by a ``SafeGroup``.
///
/// Use it to tag logs with the ids the dashboard shows. It is only known where events are
/// on (a sink is installed or given to the group), since that is the only reason to track it.
public enum SafeGroupTask {
    /// The id of the SafeGroup child running now, or nil.
    public static var current: TaskID? { TaskContext.current?.task }
    /// The id of the group of the SafeGroup child running now, or nil.
    public static var currentGroup: GroupID? { TaskContext.current.flatMap { $0.task == nil ? nil : $0.group.id } }
}
