import GroupEvents
import GroupHealth

/// A child the dashboard tracks: live, or ended and lingering in the tree.
///
/// Strings are sanitized when the record is made (``TextSanitizer``), so the view never sees
/// raw stream text.
public struct TaskRecord: Hashable, Sendable {
    public let id: TaskID
    public let group: GroupID
    public var name: String
    /// `file:line` of the spawn.
    public var site: String
    public var isolated: Bool
    /// The child's slot in the model's statistics (``StreamModel/health``) while it is live
    /// there, else -1: its events reach the statistics through the record the reducer already
    /// found. Four bytes declared after a `Bool`, so they sit in the padding before the next
    /// 8-byte field and the record is no larger than without statistics (an optional `Child`
    /// made every record 24 bytes larger, and the reducer copies and moves records).
    var healthSlot: Int32 = -1
    public var spawnedAt: MonotonicTime
    public var startedAt: MonotonicTime?
    public var waitedNanoseconds: UInt64
    public var phase: TaskPhase
    public var endedAt: MonotonicTime?
    public var durationNanoseconds: UInt64?
    public var wasSlowToCancel: Bool
    /// The ``FaultRecord/number`` of this child's fault, if it had one.
    public var faultNumber: Int?
    /// Groups opened inside this child, in the order they opened.
    public internal(set) var childGroups: [GroupID] = []
    /// The child in the model's statistics, while it is live there.
    var health: HealthModel.Child? {
        get { healthSlot >= 0 ? HealthModel.Child(slot: healthSlot, task: id) : nil }
        set { healthSlot = newValue?.slot ?? -1 }
    }

    /// How long the child has run (or waited, before it started), at `now`.
    public func duration(at now: MonotonicTime) -> UInt64 {
        if let durationNanoseconds { return durationNanoseconds }
        if let startedAt { return now.nanoseconds(since: startedAt) }
        return now.nanoseconds(since: spawnedAt)
    }
}
