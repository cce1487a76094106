import GroupEvents
import GroupHealth

/// Everything the dashboard knows about one session's stream: the tracked tasks and groups,
/// the faults, the history of ended tasks, the counters and the rates.
///
/// Built by applying events in order (``apply(_:seq:)``) and letting time pass
/// (``expire(at:)``). It is a value: the paused view keeps a copy, which costs nothing
/// until the live model changes (copy on write).
///
/// Bounded by ``DashboardLimits``: at most `maxTasks` tasks and `maxGroups` groups tracked,
/// `maxFaults` faults and `historySize` ended tasks kept, and the two expiry queues stay
/// within twice the tracked counts.
public struct StreamModel: Sendable {
    public let limits: DashboardLimits
    /// The producing service's name (sanitized) and process id, from the session's header.
    public let service: String
    public let pid: Int32?

    public private(set) var tasks: [TaskID: TaskRecord] = [:]
    public private(set) var groups: [GroupID: GroupRecord] = [:]
    /// Faults, newest kept; `faults.evicted` were dropped to stay within `maxFaults`.
    public private(set) var faults: BoundedLog<FaultRecord>
    /// Ended tasks that left the tree.
    public private(set) var history: BoundedLog<CompletedTask>
    public private(set) var counters = StatusCounters()
    public private(set) var rates = RateSeries()
    /// Events the producer says this stream lost (the sum of in-band `dropped` events).
    public private(set) var dropped: UInt64 = 0
    /// Of `dropped`, the fault-class events (faults, slow-to-cancel, faulted groups, crashes),
    /// which a producer drops only when the share of its buffers kept for them is full.
    public private(set) var droppedFaults: UInt64 = 0
    /// Tasks and groups seen but not tracked because the tree was full of live ones.
    public private(set) var untrackedTasks = 0
    public private(set) var untrackedGroups = 0
    /// The newest `seq` applied.
    public private(set) var lastSeq: UInt64?
    /// The service's last gasp, once the stream has told of it (a `process.crashed` event).
    public private(set) var crash: CrashRecord?
    /// The newest heartbeat: the producer's totals and how many viewers it has.
    public private(set) var heartbeat: Heartbeat?
    /// Groups that closed drained by the service's graceful shutdown: the service is stopping.
    public private(set) var gracefulShutdownGroups = 0
    /// The most recently spawned tracked task, which `follow` selects.
    public private(set) var newestTask: TaskID?
    /// Whether the service accepts viewers' actions (its header said so).
    public let acceptsActions: Bool
    /// The newest `viewer.action` event: what a viewer asked and what the service did.
    public private(set) var lastAction: ViewerAction?
    /// Per-site statistics and warnings, when ``DashboardLimits/health`` turns them on.
    public private(set) var health: HealthModel?
    /// Counts changes to what the tree shows, so a view can tell that its rows are current.
    public private(set) var revision: UInt64 = 0

    /// Ended tasks in the order they ended, waiting for their linger to pass.
    private var lingering = IDQueue<TaskID>()
    /// Closed groups in the order they closed.
    private var closing = IDQueue<GroupID>()

    public init(service: String = "", pid: Int32? = nil, limits: DashboardLimits = .default, acceptsActions: Bool = false) {
        self.limits = limits
        self.acceptsActions = acceptsActions
        self.service = TextSanitizer.sanitize(service)
        self.pid = pid
        self.faults = BoundedLog(capacity: limits.maxFaults)
        self.history = BoundedLog(capacity: limits.historySize)
        self.health = limits.health.map { HealthModel(configuration: $0) }
    }

    /// Entries waiting in the expiry queues (for the memory-bound tests).
    var queuedForExpiry: Int { lingering.count + closing.count }

    // MARK: Applying events

    /// Applies one event of the stream.
    public mutating func apply(_ event: Event, seq: UInt64) {
        revision &+= 1
        counters.events += 1
        lastSeq = seq
        rates.record(at: event.time) { $0.events += 1 }
        let time = event.time
        switch event.kind {
        case .groupOpened(let opened): openGroup(opened, at: time)
        case .groupClosed(let closed): closeGroup(closed, at: time)
        case .taskSpawned(let spawned): spawn(spawned, at: time)
        case .taskStarted(let started): start(started, at: time)
        case .taskEnded(let ended): end(ended, at: time)
        case .faultRecorded(let info): recordFault(info, at: time)
        case .slowToCancel(let slow):
            if let index = tasks.index(forKey: slow.task) {
                if let child = inPlace(index, { record in record.wasSlowToCancel = true; return record.health }) {
                    health?.slowToCancel(child)
                }
            } else {
                health?.apply(event)
            }
        case .dropped(let lost):
            dropped.addSaturating(lost.count)
            droppedFaults.addSaturating(lost.faults)
        case .heartbeat(let beat): heartbeat = beat
        case .processCrashed(let crashed): recordCrash(crashed, at: time)
        case .viewerAction(let action): lastAction = action
        }
        // Children's events reached the statistics through their records (spawn, start, end);
        // the rest, and the children the tree does not track, go by id.
        switch event.kind {
        case .taskSpawned, .taskStarted, .taskEnded, .slowToCancel: health?.advance(to: time)
        default: health?.apply(event)
        }
    }

    /// Moves ended tasks whose linger has passed to history, and drops closed groups likewise:
    /// at most `budget` of each (the rest stay due for the next call).
    ///
    /// A live dashboard's tick passes ``expiriesPerTick``: a burst of 50,000 children that
    /// ended together otherwise left the tree in one tick of about 60 ms, five seconds later.
    /// The tree stays bounded without it: a spawn into a full tree moves the oldest ended task
    /// out itself.
    public mutating func expire(at now: MonotonicTime, budget: Int = .max) {
        rates.advance(to: now)
        health?.advance(to: now)
        let linger = limits.lingerNanoseconds
        // The queues are in the order of their times: the first entry not due ends the loop,
        // so an event that expires nothing costs no lookup. An entry whose task or group is
        // gone (with its group, or evicted; an id used again has an entry of its own) is
        // dropped when it comes due, and counts against the budget as a move would.
        var moves = 0
        // A sixteenth of the queue at least, so a flow above the budget never piles up.
        let taskBudget = budget == .max ? budget : max(budget, lingering.count / 16)
        while moves < taskBudget, let entry = lingering.first, entry.time.rawValue &+ linger <= now.rawValue {
            lingering.removeFirst()
            if let index = tasks.index(forKey: entry.id), tasks.values[index].endedAt == entry.time {
                moves += moveToHistory(entry.id)
            } else {
                moves += 1
            }
        }
        // A closed group leaves with the children still in the tree: their moves count, and a
        // group the budget cannot empty stays first in its queue for the next tick.
        moves = 0
        while moves < budget, let entry = closing.first, entry.time.rawValue &+ linger <= now.rawValue {
            guard let index = groups.index(forKey: entry.id), groups.values[index].closedAt == entry.time else {
                closing.removeFirst()
                moves += 1
                continue
            }
            let (removed, work) = removeGroup(entry.id, budget: budget - moves)
            moves += work
            guard removed else { break }
            closing.removeFirst()
        }
    }

    /// The most ended tasks (and closed groups) a live tick moves out of the tree: about a
    /// millisecond's work.
    public static let expiriesPerTick = 1_024

    /// A frame's share of the sites' percentiles (``HealthModel/refreshSummaries(limit:)``):
    /// with many busy sites, no frame pays for them all.
    public mutating func refreshSiteSummaries() {
        health?.refreshSummaries(limit: 16)
    }

    private mutating func openGroup(_ opened: GroupOpened, at time: MonotonicTime) {
        let name = TextSanitizer.sanitize(opened.name)
        if groups[opened.group] != nil {
            // A placeholder made by an earlier task, or a repeated open: fill in what it says,
            // but never re-attach (attaching only when a group first appears keeps the tree acyclic).
            groups[opened.group]!.name = name
            groups[opened.group]!.site = SiteText.of(opened.site)
            groups[opened.group]!.policy = opened.policy
            groups[opened.group]!.limit = opened.limit
            groups[opened.group]!.parentTask = opened.parentTask
            if groups[opened.group]!.isPlaceholder {
                groups[opened.group]!.isPlaceholder = false
                groups[opened.group]!.openedAt = time
            }
            return
        }
        guard makeRoomForGroup() else {
            untrackedGroups += 1
            return
        }
        var group = GroupRecord(id: opened.group, name: name, site: SiteText.of(opened.site), openedAt: time, isPlaceholder: false)
        group.policy = opened.policy
        group.limit = opened.limit
        group.parentTask = opened.parentTask
        if let parent = opened.parentTask, tasks[parent] != nil {
            group.attachedTo = parent
            tasks[parent]!.childGroups.append(opened.group)
        }
        groups[opened.group] = group
    }

    private mutating func closeGroup(_ closed: GroupClosed, at time: MonotonicTime) {
        guard groups[closed.group] != nil, groups[closed.group]!.closedAt == nil else { return }
        groups[closed.group]!.closedAt = time
        groups[closed.group]!.outcome = closed.outcome
        groups[closed.group]!.cancellation = closed.cancellation
        if closed.cancellation == .gracefulShutdown { gracefulShutdownGroups += 1 }
        // A late viewer saw only part of the group; the producer's counts are the whole.
        groups[closed.group]!.childCount = max(groups[closed.group]!.childCount, closed.childCount)
        groups[closed.group]!.faults = max(groups[closed.group]!.faults, closed.faultCount)
        closing.append(closed.group, at: time)
        if closing.count > 2 * limits.maxGroups {
            closing.removeAll { groups[$0]?.closedAt == nil }
        }
    }

    private mutating func spawn(_ spawned: TaskSpawned, at time: MonotonicTime) {
        rates.record(at: time) { $0.spawns += 1 }
        guard tasks.index(forKey: spawned.task) == nil else { return }
        if groups.index(forKey: spawned.group) == nil {
            // The group opened before we could see it (a late attach, lost events).
            guard makeRoomForGroup() else {
                untrackedGroups += 1
                untrackedTasks += 1
                health?.apply(Event(time: time, .taskSpawned(spawned)))
                return
            }
            groups[spawned.group] = GroupRecord(id: spawned.group, name: spawned.group.description,
                                                site: "", openedAt: time, isPlaceholder: true)
        }
        guard makeRoomForTask() else {
            untrackedTasks += 1
            health?.apply(Event(time: time, .taskSpawned(spawned)))
            return
        }
        // The statistics first, so the record is made whole where it is stored.
        let child = health?.spawned(spawned, at: time)
        tasks[spawned.task] = TaskRecord(
            id: spawned.task, group: spawned.group, name: TextSanitizer.sanitize(spawned.name),
            site: SiteText.of(spawned.site), isolated: spawned.isolated, healthSlot: child?.slot ?? -1, spawnedAt: time,
            startedAt: nil, waitedNanoseconds: 0, phase: .waiting, endedAt: nil,
            durationNanoseconds: nil, wasSlowToCancel: false, faultNumber: nil)
        // In place, by index: `groups[id]!.x += 1` looks the group up once per line.
        if let group = groups.index(forKey: spawned.group) {
            groups.values[group].children.append(spawned.task)
            groups.values[group].childCount.addSaturating(1)
            groups.values[group].waiting += 1
        }
        counters.waiting += 1
        newestTask = spawned.task
    }

    private mutating func start(_ started: TaskStarted, at time: MonotonicTime) {
        guard let index = tasks.index(forKey: started.task) else {
            health?.apply(Event(time: time, .taskStarted(started)))  // a child the tree does not track
            return
        }
        if let child = inPlace(index, { $0.health }) { health?.started(child, started, at: time) }
        guard tasks.values[index].phase == .waiting else { return }
        tasks.values[index].phase = .running
        tasks.values[index].startedAt = time
        tasks.values[index].waitedNanoseconds = started.waitedNanoseconds
        counters.waiting -= 1
        counters.running += 1
        if let group = groups.index(forKey: tasks.values[index].group) {
            groups.values[group].waiting -= 1
            groups.values[group].running += 1
        }
    }

    private mutating func end(_ ended: TaskEnded, at time: MonotonicTime) {
        switch ended.status {
        case .ok:
            counters.ok += 1
            rates.record(at: time) { $0.oks += 1 }
        case .failed: counters.failed += 1
        case .timedOut: counters.timedOut += 1
        case .cancelled: counters.cancelled += 1
        case .crashed: counters.crashed += 1
        }
        guard let index = tasks.index(forKey: ended.task) else {
            health?.apply(Event(time: time, .taskEnded(ended)))  // a child the tree does not track
            return
        }
        if let child = inPlace(index, { record in defer { record.health = nil }; return record.health }) {
            health?.ended(child, ended, at: time)
        }
        guard !tasks.values[index].phase.hasEnded else { return }
        leavePhase(tasks.values[index].phase, group: tasks.values[index].group)
        tasks.values[index].phase = .ended(ended.status)
        tasks.values[index].endedAt = time
        tasks.values[index].durationNanoseconds = ended.durationNanoseconds
        if ended.wasSlowToCancel { tasks.values[index].wasSlowToCancel = true }
        lingering.append(ended.task, at: time)
        if lingering.count > 2 * limits.maxTasks {
            lingering.removeAll { tasks[$0]?.endedAt == nil }
        }
    }

    /// Reads (or changes) the record at `index` where it lies, for the statistics' child.
    /// `tasks.values[index].field` as a value copies the whole record (an outlined copy and
    /// destroy of its strings and array, in the disassembly of `start`) to read one field; an
    /// inout access does not. The tree's own reads of a record are left as they were.
    private mutating func inPlace<T>(_ index: Dictionary<TaskID, TaskRecord>.Index, _ body: (inout TaskRecord) -> T) -> T {
        body(&tasks.values[index])
    }

    /// Takes a live task of `group` in `phase` out of the running or waiting counts.
    private mutating func leavePhase(_ phase: TaskPhase, group: GroupID) {
        switch phase {
        case .waiting:
            counters.waiting -= 1
            if let index = groups.index(forKey: group) { groups.values[index].waiting -= 1 }
        case .running:
            counters.running -= 1
            if let index = groups.index(forKey: group) { groups.values[index].running -= 1 }
        case .ended:
            break
        }
    }

    private mutating func recordFault(_ info: FaultInfo, at time: MonotonicTime) {
        var fault = FaultRecord(number: faults.appended, info)
        fault.chain = chain(of: info.task, in: info.group, site: fault.site, name: fault.taskName)
        append(fault, task: info.task, group: info.group, at: time)
    }

    /// A fault's spawn chain, from the tasks and groups tracked now (its ancestors are all
    /// still running when it arrives).
    private func chain(of task: TaskID, in group: GroupID, site: String, name: String) -> [FaultRecord.ChainLink] {
        let steps = SpawnChain.steps(task: task, group: group, groupOf: { tasks[$0]?.group }, parentOf: { id in
            groups[id].flatMap { $0.isPlaceholder ? nil : .some($0.parentTask) }
        })
        return steps.map { step in
            switch step {
            case .task(let id) where id == task:
                return .init(kind: .task, id: id.description, name: name, site: site)
            case .task(let id):
                return .init(kind: .task, id: id.description, name: tasks[id]?.name ?? "", site: tasks[id]?.site ?? "")
            case .group(let id):
                return .init(kind: .group, id: id.description, name: groups[id]?.name ?? "", site: groups[id]?.site ?? "")
            case .unseenTask(let id):
                return .init(kind: .task, id: id.description, name: "", site: "")
            case .unseenGroup(let id):
                return .init(kind: .group, id: id.description, name: groups[id]?.name ?? "", site: "")
            }
        }
    }

    /// Keeps a fault (numbered `faults.appended`) and counts it for its task, group and rate.
    private mutating func append(_ fault: FaultRecord, task: TaskID, group: GroupID, at time: MonotonicTime) {
        rates.record(at: time) { $0.faults += 1 }
        faults.append(fault)
        tasks[task]?.faultNumber = fault.number
        groups[group]?.faults.addSaturating(1)
    }

    /// The service is dying: its crashing child (if the handler knew it) ends as crashed and
    /// gets a `crash` fault with the signal, the reason and the raw stack.
    private mutating func recordCrash(_ crashed: ProcessCrashed, at time: MonotonicTime) {
        let record = crashed.task.flatMap { tasks[$0] }
        crash = CrashRecord(crashed, taskName: record?.name, at: time)
        guard let id = crashed.task, let task = record else { return }
        let startedAt = task.startedAt ?? task.spawnedAt
        // Names, site and stack are set below: the init's own would be thrown away.
        var fault = FaultRecord(number: faults.appended, FaultInfo(
            task: id, taskName: "", group: task.group, groupName: "", site: SourceSite(file: "", line: 0),
            kind: .crash, errorType: crashed.signalName, message: crashed.reason,
            startedAt: startedAt, endedAt: time, stackOrigin: "last-gasp", stack: [], signal: crashed.signal))
        // Already sanitized: the names and site the model keeps.
        fault.taskName = task.name
        fault.groupName = groups[task.group]?.name ?? ""
        fault.site = task.site
        // Where each address is: the image's file name and the offset in it.
        fault.stack = crashed.stack.prefix(WireFormat.maxStackFrames).map { frame in
            let location = frame.address.flatMap { crashed.image(of: $0) }.map { image, offset in
                image.location(offset: offset, fileNameOnly: true)
            }
            return FaultRecord.Frame(symbol: TextSanitizer.sanitize(frame.symbol), location: location ?? "", file: nil)
        }
        fault.chain = chain(of: id, in: task.group, site: task.site, name: task.name)
        append(fault, task: id, group: task.group, at: time)
        if !task.phase.hasEnded {
            end(TaskEnded(task: id, group: task.group, status: .crashed, durationNanoseconds: time.nanoseconds(since: startedAt)), at: time)
        }
    }

    // MARK: Bounds

    /// Makes room for one more task: true when there is room, evicting the oldest ended task
    /// if the tree is full; false when every tracked task is live.
    private mutating func makeRoomForTask() -> Bool {
        if tasks.count < limits.maxTasks { return true }
        while let entry = lingering.first {
            lingering.removeFirst()
            if let index = tasks.index(forKey: entry.id), tasks.values[index].endedAt != nil {
                moveToHistory(entry.id)
                return true
            }
        }
        return false
    }

    /// Makes room for one more group: evicts the oldest closed group if the tree is full.
    private mutating func makeRoomForGroup() -> Bool {
        if groups.count < limits.maxGroups { return true }
        while let entry = closing.first {
            closing.removeFirst()
            if groups[entry.id]?.closedAt != nil {
                removeGroup(entry.id)
                return true
            }
        }
        return false
    }

    /// Children of a group's list checked, in a compaction, for the work of one move out of
    /// the tree (a lookup that misses against a removal, a history entry and a group update).
    static let compactionChecksPerMove = 16

    /// Moves a task out of the tree; the work it took, in moves: one, plus a move per
    /// ``compactionChecksPerMove`` children checked when its group's list was compacted. A
    /// tick's budget counts both: ended children leaving a hundred groups, each with a
    /// thousand live ones, compacted every group's list in one tick of 75-108 ms.
    @discardableResult
    private mutating func moveToHistory(_ id: TaskID) -> Int {
        revision &+= 1
        guard let task = tasks.removeValue(forKey: id) else { return 1 }
        if case .ended(let status) = task.phase {
            let group = groups.index(forKey: task.group)
            history.append(CompletedTask(
                id: id, name: task.name, groupName: group.map { groups.values[$0].name } ?? task.group.description,
                site: task.site, status: status, endedAt: task.endedAt ?? MonotonicTime(nanoseconds: 0),
                durationNanoseconds: task.durationNanoseconds ?? 0, faultNumber: task.faultNumber))
        } else {
            leavePhase(task.phase, group: task.group)
            if let child = task.health { health?.forget(child) }  // its end never came
        }
        // Groups opened inside it become roots.
        for child in task.childGroups { groups[child]?.attachedTo = nil }
        if let group = groups.index(forKey: task.group) {
            groups.values[group].departedChildren += 1
            // Compact now and then, so a group's child list stays proportional to what it shows.
            let departed = groups.values[group].departedChildren
            let listed = groups.values[group].children.count
            if departed >= 64, departed * 2 >= listed {
                // By index: reading the record (`tasks[$0]`) copied each one out, a third of the time.
                let tasks = self.tasks
                groups.values[group].children.removeAll { tasks.index(forKey: $0) == nil }
                groups.values[group].departedChildren = 0
                return 1 + listed / Self.compactionChecksPerMove
            }
        }
        return 1
    }

    /// Removes a group, moving its children still in the tree to history first; with a
    /// `budget` (in moves, ``moveToHistory(_:)``'s unit, a child checked counting as a
    /// compaction's), it stops when that is spent and leaves the group for a later call.
    /// Whether the group is gone, and the work done.
    @discardableResult
    private mutating func removeGroup(_ id: GroupID, budget: Int = .max) -> (removed: Bool, work: Int) {
        revision &+= 1
        guard let group = groups[id] else { return (true, 1) }
        var moved = 1, checked = 0
        func work() -> Int { moved + checked / Self.compactionChecksPerMove }
        for child in group.children {
            // A later call checks again the children moved before it: fewer than half of the
            // list, since `moveToHistory` compacts a list once half of it has left. Each call
            // moves one child at least, so a small budget still gets there.
            if moved > 1 && work() >= budget { return (false, work()) }
            checked += 1
            if let index = tasks.index(forKey: child), tasks.values[index].group == id { moved += moveToHistory(child) }
        }
        if let parent = group.attachedTo {
            tasks[parent]?.childGroups.removeAll { $0 == id }
        }
        groups.removeValue(forKey: id)
        return (true, work())
    }
}
