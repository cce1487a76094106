import GroupEvents

/// What is live in the service, kept by the monitor thread for viewers that attach late.
///
/// It keeps the original event and its `seq` of every open group, every task spawned or
/// started and not yet ended, and the most recent ``faultLimit`` faults. A late viewer's
/// snapshot is these original events in `seq` order, so applying the snapshot and then the
/// live stream gives the same state as having watched from the start.
///
/// Memory is bounded: at most ``taskLimit`` tasks and ``groupLimit`` groups are tracked (the
/// rest are counted in ``untracked``), which also bounds what lost `taskEnded` events can leak.
struct LiveState {
    /// How many tasks are tracked at most.
    static let taskLimit = 262_144
    /// How many groups are tracked at most.
    static let groupLimit = 65_536
    /// How many recent faults are kept.
    static let faultLimit = 64

    typealias Entry = (seq: UInt64, event: Event)

    private struct TaskEntry {
        var spawned: Entry?
        var started: Entry?
    }

    private var groups: [GroupID: Entry] = [:]
    private var tasks: [TaskID: TaskEntry] = [:]
    private var faults: [Entry] = []
    private var nextFault = 0
    /// Groups and tasks not tracked because a limit was reached.
    private(set) var untracked: UInt64 = 0

    /// Updates the state with the event that was given `seq`.
    mutating func apply(_ event: Event, seq: UInt64) {
        switch event.kind {
        case .groupOpened(let e):
            if groups.count < Self.groupLimit { groups[e.group] = (seq, event) } else { untracked &+= 1 }
        case .groupClosed(let e):
            groups[e.group] = nil
        case .taskSpawned(let e):
            updateTask(e.task) { $0.spawned = (seq, event) }
        case .taskStarted(let e):
            updateTask(e.task) { $0.started = (seq, event) }
        case .taskEnded(let e):
            tasks[e.task] = nil
        case .faultRecorded:
            if faults.count < Self.faultLimit {
                faults.append((seq, event))
            } else {
                faults[nextFault] = (seq, event)
                nextFault = (nextFault + 1) % Self.faultLimit
            }
        default:
            break
        }
    }

    private mutating func updateTask(_ task: TaskID, _ update: (inout TaskEntry) -> Void) {
        if tasks[task] == nil, tasks.count >= Self.taskLimit {
            untracked &+= 1
            return
        }
        update(&tasks[task, default: TaskEntry()])
    }

    /// The events a late viewer needs, in `seq` order.
    func snapshot() -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(groups.count + tasks.count * 2 + faults.count)
        entries.append(contentsOf: groups.values)
        for task in tasks.values {
            if let spawned = task.spawned { entries.append(spawned) }
            if let started = task.started { entries.append(started) }
        }
        entries.append(contentsOf: faults)
        entries.sort { $0.seq < $1.seq }
        return entries
    }

    /// How many groups and tasks are live.
    var counts: (groups: Int, tasks: Int) { (groups.count, tasks.count) }
}
