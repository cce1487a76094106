import GroupEvents
import Synchronization

/// What a child task knows about itself: its id, its group, and the sink its group resolved.
///
/// Carried in a task-local so that a group opened inside a child finds its parent task
/// (groups form a tree) and inherits the parent's sink (a test's sink reaches nested groups),
/// and so that the throw hook knows a throw happens inside a child (``ThrowSites``).
///
/// Each child of a group with a sink binds its own. A group without one binds a single context
/// with no task around its body instead, which every child inherits as it is created: the hook
/// only needs to know that a throw is inside some child, and no event needs the child's id.
@usableFromInline
struct TaskContext: Sendable {
    /// The child; nil in the context a group without a sink binds for all its children.
    let task: TaskID?
    let group: GroupContext

    @usableFromInline
    init(task: TaskID?, group: GroupContext) {
        self.task = task
        self.group = group
    }

    /// The task-local itself, spelled out rather than `@TaskLocal` so that ``bind(_:)`` can be
    /// inlined into the child's path: the macro's `$current` cannot be `@usableFromInline`, and
    /// the out-of-line frame `bind` cost pushed each child with events past its first task slab.
    @usableFromInline static let local = TaskLocal<TaskContext?>(wrappedValue: nil)

    static var current: TaskContext? { local.get() }

    /// Runs a child's `operation` with `self` as the current context.
    @inlinable
    func bind(_ operation: () async -> Bool) async -> Bool {
        await Self.local.withValue(self, operation: operation)
    }
}

/// What a group's children share in their context, allocated once per group so that
/// binding a child's context copies two words, not the sink and names.
@usableFromInline
final class GroupContext: Sendable {
    let id: GroupID
    /// The group's sink, which groups nested in its children inherit; nil when it has none.
    @usableFromInline let sink: (any EventSink)?

    init(id: GroupID, sink: (any EventSink)?) {
        self.id = id
        self.sink = sink
    }
}

/// Process-unique ids, never reused.
@usableFromInline
enum IDs {
    private static let nextGroup = PaddedCounter()
    private static let nextTask = PaddedCounter()

    static func group() -> GroupID { GroupID(nextGroup.next()) }
    @usableFromInline
    static func task() -> TaskID { TaskID(nextTask.next()) }
}
