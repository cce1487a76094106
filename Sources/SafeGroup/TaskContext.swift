import GroupEvents
import Synchronization

/// What a child task knows about itself: its id, its group, and the sink its group resolved.
///
/// Carried in a task-local so that a group opened inside a child finds its parent task
/// (groups form a tree) and inherits the parent's sink (a test's sink reaches nested groups).
@usableFromInline
struct TaskContext: Sendable {
    let task: TaskID
    let taskName: String
    let group: GroupID
    let sink: (any EventSink)?

    @usableFromInline
    init(task: TaskID, taskName: String, group: GroupID, sink: (any EventSink)?) {
        self.task = task
        self.taskName = taskName
        self.group = group
        self.sink = sink
    }

    @TaskLocal static var current: TaskContext?

    /// Runs a child's `operation` with `self` as the current context.
    @usableFromInline
    func bind(_ operation: () async -> Bool) async -> Bool {
        await Self.$current.withValue(self, operation: operation)
    }
}

/// Process-unique ids, never reused.
@usableFromInline
enum IDs {
    private static let nextGroup = Atomic<UInt64>(0)
    private static let nextTask = Atomic<UInt64>(0)

    static func group() -> GroupID { GroupID(nextGroup.add(1, ordering: .relaxed).newValue) }
    @usableFromInline
    static func task() -> TaskID { TaskID(nextTask.add(1, ordering: .relaxed).newValue) }
}
