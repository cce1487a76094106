import GroupEvents

/// A group the dashboard tracks, with its children and its health.
public struct GroupRecord: Hashable, Sendable {
    public let id: GroupID
    public var name: String
    /// `file:line` where the group was opened.
    public var site: String
    public var policy: FailurePolicy?
    public var limit: Int?
    public var parentTask: TaskID?
    public var openedAt: MonotonicTime
    /// Set when the group closed; it then lingers in the tree like an ended task.
    public var closedAt: MonotonicTime?
    public var outcome: GroupClosed.Outcome?
    /// What cancelled the group's children, if something did (known when it closes).
    public var cancellation: CancellationCause?
    /// True for a group the dashboard never saw open (a task named it first: a late attach, or
    /// lost events); its name is its id until an open arrives.
    public var isPlaceholder: Bool

    /// Children ever spawned in this group while tracked (or the group's own count once closed).
    public var childCount: Int = 0
    public var running: Int = 0
    public var waiting: Int = 0
    public var faults: Int = 0

    /// The task this group is drawn under; nil for a root. Set only when the group opens
    /// inside a task already tracked, so the tree can never form a cycle.
    public internal(set) var attachedTo: TaskID?
    /// Child ids in spawn order; may hold ids that have left the tree (compacted now and then).
    var children: [TaskID] = []
    /// How many entries of `children` have left the tree.
    var departedChildren = 0

    init(id: GroupID, name: String, site: String, openedAt: MonotonicTime, isPlaceholder: Bool) {
        self.id = id
        self.name = name
        self.site = site
        self.openedAt = openedAt
        self.isPlaceholder = isPlaceholder
    }

    /// The glyph role for the group's health.
    var healthRole: ColorRole {
        if faults > 0 { return .failed }
        if case .some = cancellation { return .cancelled }
        if closedAt != nil { return .ok }
        return running > 0 ? .running : .waiting
    }
}
