import GroupEvents

/// Where a child is in its life, as the dashboard shows it.
public enum TaskPhase: Hashable, Sendable {
    /// Spawned, waiting for a slot under its group's limit.
    case waiting
    case running
    case ended(TaskStatus)

    /// The word the filter matches and the detail pane shows.
    public var word: String {
        switch self {
        case .waiting: "waiting"
        case .running: "running"
        case .ended(let status): status.rawValue
        }
    }

    /// Whether the child has ended.
    public var hasEnded: Bool {
        if case .ended = self { return true }
        return false
    }

    /// Lower ranks sort first under the status sort: what needs attention comes first.
    var rank: Int {
        switch self {
        case .ended(.crashed): 0
        case .ended(.failed): 1
        case .ended(.timedOut): 2
        case .running: 3
        case .waiting: 4
        case .ended(.cancelled): 5
        case .ended(.ok): 6
        }
    }
}
