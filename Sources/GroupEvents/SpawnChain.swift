/// How a child came to run: its own spawn, the group it was spawned in, the child that opened
/// that group, and so on up to a root group, like Go's `created by` lines.
///
/// It comes from events every stream has (`task.spawned` names a task's group and site,
/// `group.opened` a group's parent task and site), so it is found for recordings made before
/// it was shown too. A fault's task and its ancestors are all still running when the fault is
/// recorded (a group closes before the child that opened it ends), so a reader that forgets
/// tasks when they end and groups when they close still finds the whole chain.
public enum SpawnChain {
    /// One step up the chain.
    public enum Step: Hashable, Sendable {
        /// A child this reader knows.
        case task(TaskID)
        /// A group this reader knows.
        case group(GroupID)
        /// A child named by a group this reader knows, but that it never saw spawned (it attached
        /// late, or events were lost, or it stopped tracking): the chain stops there.
        case unseenTask(TaskID)
        /// Likewise, a group named by a child this reader knows.
        case unseenGroup(GroupID)
    }

    /// The most steps a chain takes: nesting deeper than this is cut (a hostile stream may
    /// also describe a cycle, which the walk stops at too).
    public static let maxSteps = 64

    /// The chain of `task` (spawned in `group`), innermost first.
    ///
    /// - Parameters:
    ///   - groupOf: The group a known task was spawned in; nil for a task this reader does not know.
    ///   - parentOf: For a known group, `.some(parent task)`, or `.some(nil)` for a root group;
    ///     nil for a group this reader does not know.
    public static func steps(task: TaskID, group: GroupID,
                             groupOf: (TaskID) -> GroupID?, parentOf: (GroupID) -> TaskID??) -> [Step] {
        var steps: [Step] = [.task(task)]
        var seen: Set<GroupID> = []
        var group = group
        while steps.count < maxSteps, seen.insert(group).inserted {
            guard let parent = parentOf(group) else {
                steps.append(.unseenGroup(group))
                break
            }
            steps.append(.group(group))
            guard let parent, steps.count < maxSteps else { break }
            guard let next = groupOf(parent) else {
                steps.append(.unseenTask(parent))
                break
            }
            steps.append(.task(parent))
            group = next
        }
        return steps
    }
}

/// What a reader of a stream that keeps no tree of its own needs to name the ids of a line and
/// walk a fault's ``SpawnChain``: each live task's name, site and group, each open group's name,
/// site and parent. Forgets a task when it ends and a group when it closes; bounded.
public struct SpawnTree: Sendable {
    public struct TaskInfo: Hashable, Sendable {
        public var name: String
        public var site: SourceSite
        public var group: GroupID
    }

    public struct GroupInfo: Hashable, Sendable {
        public var name: String
        public var site: SourceSite
        public var parentTask: TaskID?
    }

    /// How many tasks, and how many groups, are kept at most; beyond that new ones are not
    /// tracked (their lines show ids only, and chains through them stop there).
    public let limit: Int
    public private(set) var tasks: [TaskID: TaskInfo] = [:]
    public private(set) var groups: [GroupID: GroupInfo] = [:]

    public init(limit: Int = 262_144) {
        self.limit = limit
    }

    /// Forgets everything: ids start over after a new header.
    public mutating func reset() {
        tasks.removeAll()
        groups.removeAll()
    }

    /// Learns from an event what it says about the tree. Call ``forget(_:)`` after using the
    /// event, so that an ending task or closing group is still known while its own line is made.
    public mutating func learn(_ event: Event) {
        switch event.kind {
        case .groupOpened(let e) where groups.count < limit || groups[e.group] != nil:
            groups[e.group] = GroupInfo(name: e.name, site: e.site, parentTask: e.parentTask)
        case .taskSpawned(let e) where tasks.count < limit || tasks[e.task] != nil:
            tasks[e.task] = TaskInfo(name: e.name, site: e.site, group: e.group)
        default:
            break
        }
    }

    /// Forgets the task an event ends, or the group it closes.
    public mutating func forget(_ event: Event) {
        switch event.kind {
        case .taskEnded(let e): tasks[e.task] = nil
        case .groupClosed(let e): groups[e.group] = nil
        default: break
        }
    }

    /// The chain of a fault's task, innermost first.
    public func chain(task: TaskID, group: GroupID) -> [SpawnChain.Step] {
        SpawnChain.steps(task: task, group: group, groupOf: { tasks[$0]?.group }, parentOf: { groups[$0].map(\.parentTask) })
    }
}
