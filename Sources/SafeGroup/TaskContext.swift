import GroupEvents

/// What a child task knows about itself: its id, its group, and the sink its group resolved.
///
/// Carried in a task-local so that a group opened inside a child finds its parent task
/// (groups form a tree) and inherits the parent's sink (a test's sink reaches nested groups).
struct TaskContext: Sendable {
    let task: TaskID
    let taskName: String
    let group: GroupID
    let sink: (any EventSink)?

    @TaskLocal static var current: TaskContext?
}

/// Process-unique ids, never reused.
enum IDs {
    private static let nextGroup = AtomicCounter()
    private static let nextTask = AtomicCounter()

    static func group() -> GroupID { GroupID(nextGroup.next()) }
    static func task() -> TaskID { TaskID(nextTask.next()) }
}

import Synchronization

final class AtomicCounter: Sendable {
    private let value = Atomic<UInt64>(0)
    func next() -> UInt64 { value.add(1, ordering: .relaxed).newValue }
}
