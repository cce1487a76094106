import GroupHealth

/// The bounds that keep the dashboard's memory flat whatever the stream does.
///
/// With the defaults, the tracked state stays well under 200 MiB: a tracked task costs about
/// 200 bytes with its strings, a fault up to ~20 KiB with its message and stack.
public struct DashboardLimits: Hashable, Sendable {
    /// The per-site statistics and warnings (``HealthModel``): their thresholds and bounds,
    /// or nil for none (the reducer then does no statistics at all).
    public var health: HealthConfiguration?
    /// Tasks tracked in the tree (live, and ended but still lingering). The monitor's snapshot
    /// holds at most 262,144 live tasks, so a late viewer can show all of them. Beyond this,
    /// the oldest ended task moves to history early; when every tracked task is live, new ones
    /// are counted as untracked (their end still counts in the status counters).
    public var maxTasks: Int
    /// Groups tracked in the tree; beyond it, the oldest closed group is dropped early, and
    /// when all are open, new groups (and their children) are counted as untracked.
    public var maxGroups: Int
    /// Faults kept for the faults list; older ones are evicted and counted.
    public var maxFaults: Int
    /// Ended tasks kept in history after they leave the tree.
    public var historySize: Int
    /// How long, in stream time, an ended task or closed group stays in the tree.
    public var lingerNanoseconds: UInt64

    public init(maxTasks: Int = 262_144, maxGroups: Int = 65_536, maxFaults: Int = 1_024,
                historySize: Int = 10_000, lingerNanoseconds: UInt64 = 5_000_000_000,
                health: HealthConfiguration? = .default) {
        self.health = health
        self.maxTasks = max(1, maxTasks)
        self.maxGroups = max(1, maxGroups)
        self.maxFaults = max(1, maxFaults)
        self.historySize = max(1, historySize)
        self.lingerNanoseconds = lingerNanoseconds
    }

    public static let `default` = DashboardLimits()
}
