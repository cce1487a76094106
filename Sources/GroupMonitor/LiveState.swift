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

    /// An empty state, to swap with a working one without allocating.
    static let empty = LiveState()

    private var groups: [GroupID: Entry] = [:]
    private var tasks = LiveTasks()
    private var faults: [Entry] = []
    private var nextFault = 0
    /// Groups and tasks not tracked because a limit was reached.
    private(set) var untracked: UInt64 = 0

    /// What an event changes here, read before the event is handed on: binding a payload
    /// (`case .taskSpawned(let e)`) and then moving the event copied the whole event through
    /// its value witness, for every event.
    private enum Change {
        case open(GroupID), close(GroupID), spawned(TaskID), started(TaskID), ended(TaskID), fault, none
    }

    private static func change(_ event: borrowing Event) -> Change {
        switch event.kind {
        case .groupOpened(let e): .open(e.group)
        case .groupClosed(let e): .close(e.group)
        case .taskSpawned(let e): .spawned(e.task)
        case .taskStarted(let e): .started(e.task)
        case .taskEnded(let e): .ended(e.task)
        case .faultRecorded: .fault
        default: .none
        }
    }

    /// Updates the state with the event that was given `seq`, keeping the event itself (moved,
    /// not copied) when it is one a late viewer needs.
    mutating func apply(_ event: consuming Event, seq: UInt64) {
        switch Self.change(event) {
        case .open(let group):
            if groups.count < Self.groupLimit { groups[group] = (seq, event) } else { untracked &+= 1 }
        case .close(let group):
            groups[group] = nil
        case .spawned(let task):
            if !tasks.record(task, started: false, seq: seq, event: event, limit: Self.taskLimit) { untracked &+= 1 }
        case .started(let task):
            if !tasks.record(task, started: true, seq: seq, event: event, limit: Self.taskLimit) { untracked &+= 1 }
        case .ended(let task):
            tasks.remove(task)
        case .fault:
            if faults.count < Self.faultLimit {
                faults.append((seq, event))
            } else {
                faults[nextFault] = (seq, event)
                nextFault = (nextFault + 1) % Self.faultLimit
            }
        case .none:
            break
        }
    }

    /// The events a late viewer needs, in `seq` order.
    func snapshot() -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(groups.count + tasks.count * 2 + faults.count)
        entries.append(contentsOf: groups.values)
        tasks.forEach { spawned, started in
            if let spawned { entries.append(spawned) }
            if let started { entries.append(started) }
        }
        entries.append(contentsOf: faults)
        entries.sort { $0.seq < $1.seq }
        return entries
    }

    /// How many groups and tasks are live.
    var counts: (groups: Int, tasks: Int) { (groups.count, tasks.count) }
}

/// The live tasks, by id: a ring indexed by the id itself, with a dictionary beside it for the
/// few tasks that outlive a lap of the ring.
///
/// Task ids are handed out in sequence, so the children of a burst have neighbouring ids:
/// in the ring, their entries are neighbours in memory too, and the spawned, started and ended
/// events of a burst walk through memory in order instead of landing on random hash buckets.
/// The dictionary it replaced missed the cache on nearly every event once a burst had more
/// live children than the cache holds (issue 11: most of the monitor thread's time).
///
/// A slot holds the task whose id maps to it; when a newer id needs the slot of a task that is
/// still live (a long-lived task, a lap of ids ago), the older task moves to the dictionary, so
/// the ring keeps the recent ids that bursts touch. The ring doubles, up to the task limit, when
/// that happens with the ring more than half full.
struct LiveTasks {
    typealias Entry = LiveState.Entry

    private struct Slot {
        /// The task's id plus one; zero for an empty slot.
        var key: UInt64 = 0
        var spawned: Entry?
        var started: Entry?
    }

    private var slots: [Slot] = Array(repeating: Slot(), count: LiveTasks.initialCapacity)
    private var mask = UInt64(LiveTasks.initialCapacity - 1)
    private var inRing = 0
    private var older: [UInt64: Slot] = [:]

    static let initialCapacity = 1024

    /// How many tasks are live.
    var count: Int { inRing + older.count }

    /// Keeps `event` as the task's spawned or started event; false when the task is new and
    /// `limit` tasks are already live (it is not tracked).
    mutating func record(_ task: TaskID, started: Bool, seq: UInt64, event: consuming Event, limit: Int) -> Bool {
        let key = task.rawValue &+ 1
        if key != 0 {
            let index = Int(key & mask)
            if slots[index].key == key {
                Self.set(&slots[index], started: started, (seq, event))
                return true
            }
            if older.isEmpty || older[key] == nil {
                guard count < limit else { return false }
                if slots[index].key != 0 {
                    if inRing > slots.count / 2, slots.count * 2 <= max(limit, Self.initialCapacity) {
                        grow()
                        return record(task, started: started, seq: seq, event: event, limit: limit)
                    }
                    // A task a lap of ids older keeps its entry in the dictionary.
                    older[slots[index].key] = slots[index]
                    inRing -= 1
                }
                slots[index] = Slot(key: key)
                inRing += 1
                Self.set(&slots[index], started: started, (seq, event))
                return true
            }
        } else if older[key] == nil {
            // The one id the ring cannot key (UInt64.max) lives in the dictionary.
            guard count < limit else { return false }
            older[key] = Slot(key: key)
        }
        Self.set(&older[key]!, started: started, (seq, event))
        return true
    }

    // Static: as a method, `self` would be read while `slots` is written, which copies the ring.
    private static func set(_ slot: inout Slot, started: Bool, _ entry: consuming Entry) {
        if started { slot.started = entry } else { slot.spawned = entry }
    }

    /// Forgets the task, if it is live.
    mutating func remove(_ task: TaskID) {
        let key = task.rawValue &+ 1
        let index = Int(key & mask)
        if key != 0, slots[index].key == key {
            slots[index] = Slot()
            inRing -= 1
        } else if !older.isEmpty {
            older[key] = nil
        }
    }

    /// Calls `body` with the spawned and started entries of every live task.
    func forEach(_ body: (Entry?, Entry?) -> Void) {
        for slot in slots where slot.key != 0 { body(slot.spawned, slot.started) }
        for slot in older.values { body(slot.spawned, slot.started) }
    }

    /// Doubles the ring and places every task in it again.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(), count: old.count * 2)
        mask = UInt64(slots.count - 1)
        inRing = 0
        for slot in old where slot.key != 0 {
            let index = Int(slot.key & mask)
            if slots[index].key != 0 {
                older[slot.key] = slot
            } else {
                slots[index] = slot
                inRing += 1
            }
        }
    }
}
