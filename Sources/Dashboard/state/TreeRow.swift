import GroupEvents

/// One row of the tree pane: a group, a task, or (in the history view) an ended task.
public struct TreeRow: Hashable, Sendable {
    public enum Ref: Hashable, Sendable {
        case group(GroupID)
        case task(TaskID)
        /// An entry of ``StreamModel/history`` by its arrival number.
        case history(Int)
    }

    public var ref: Ref
    /// Indentation level.
    public var depth: Int
}
