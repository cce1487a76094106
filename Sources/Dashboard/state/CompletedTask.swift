import GroupEvents

/// An ended task that has left the tree, as the history keeps it: small, with no links.
public struct CompletedTask: Hashable, Sendable {
    public var id: TaskID
    public var name: String
    public var groupName: String
    public var site: String
    public var status: TaskStatus
    public var endedAt: MonotonicTime
    public var durationNanoseconds: UInt64
    public var faultNumber: Int?
}
