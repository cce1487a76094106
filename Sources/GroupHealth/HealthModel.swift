import GroupEvents

/// Per-site statistics and lasting warnings, built from a stream of events.
///
/// Pure and a value: apply events in order (``apply(_:)``) and let stream time pass
/// (``advance(to:)``); the rules are evaluated at most once per
/// ``HealthConfiguration/evaluationIntervalNanoseconds`` of stream time, so time comes from the
/// events alone and a test never sleeps. The dashboard keeps one in its model; a test of a
/// service can check its own events:
///
/// ```swift
/// let sink = InMemoryEventSink()
/// _ = await withSafeGroup(name: "imports", limit: 4, sink: sink) { group in … }
/// #expect(HealthModel.warnings(in: sink.events).isEmpty)
/// ```
///
/// Memory is bounded whatever the stream: at most ``HealthConfiguration/maxSites`` sites
/// (the least recently active idle ones are evicted and counted in ``evictedSites``),
/// `maxTasks` live children, `maxGroups` open groups and `maxWarnings` conditions.
public struct HealthModel: Sendable {
    public let configuration: HealthConfiguration

    /// Every kept site's statistics, in no particular order.
    public var sites: [SiteStatistics] { states.indices.compactMap { hot[$0].isKept ? hot[$0].row(states[$0].row) : nil } }
    /// How many sites are kept.
    public var siteCount: Int { siteSlots.count }
    /// The statistics of `site`, if it is kept, with its summary made now (percentiles and the
    /// fault rate at ``now``).
    public func statistics(for site: SourceSite) -> SiteStatistics? {
        guard let slot = siteSlots[site.fingerprint(seed: siteSeed)] else { return nil }
        var row = hot[Int(slot)].row(states[Int(slot)].row)
        row.summary = summary(of: Int(slot))
        return row
    }
    /// Sites evicted to stay within ``HealthConfiguration/maxSites``.
    public private(set) var evictedSites = 0
    /// Children not tracked: their site could not be kept (every site had live children), or
    /// `maxTasks` were live. Their ends are not in any site's counts.
    public private(set) var untrackedTasks = 0
    /// Groups not tracked because `maxGroups` were open.
    public private(set) var untrackedGroups = 0
    /// Conditions not tracked because `maxWarnings` were.
    public private(set) var warningsNotTracked = 0
    /// The active warnings, by kind, then by when they fired, then by subject (kept in that
    /// order as they fire and clear; a measure that moves changes its line in place).
    public private(set) var warnings: [HealthWarning] = []
    /// The kinds of active warning on each task, group and site (for markers).
    public private(set) var warnedSubjects: [HealthWarning.Subject: [WarningKind]] = [:]
    /// The newest stream time seen.
    public private(set) var now = MonotonicTime(nanoseconds: 0)
    /// Changes whenever the active warnings or the sites' statistics change.
    public private(set) var revision: UInt64 = 0

    /// Sites by slot: what each child's events touch (``SiteHot``, a few cache lines a site),
    /// and the rest. A live child names its site's slot, so its start and end reach the site
    /// without finding it again. An evicted site's slot holds an unkept state until reused.
    private var hot: [SiteHot] = []
    private var states: [SiteState] = []
    /// Durations and waits not yet in their site's histograms.
    private var gathered = GatheredValues()
    /// The half of the window of the last value gathered, and its bounds in stream time
    /// (``halfOfValue(at:)``); empty at first.
    private var valueHalf: (number: UInt64, start: UInt64, end: UInt64) = (0, 1, 0)
    /// Sites' slots by fingerprint (``SourceSite/fingerprint(seed:)``).
    private var siteSlots = SlotTable()
    /// The slots of the sites seen last, by where their file's bytes are: a decoded stream
    /// shares one string for a file it repeats (the decoder's string table), and a program's
    /// sites are static literals, so most spawns find their site here without reading the
    /// file's bytes. An entry is only a guess: the site's hot part says whether it holds
    /// (``SiteHot/address``, a string its state keeps alive, so equal addresses are one string),
    /// and that part is read on every spawn anyway. Direct-mapped, 4,096 slots (16 KiB) for up
    /// to ``HealthConfiguration/maxSites`` sites: entries of 48 bytes that held their site and
    /// checked it themselves (192 KiB) cost a cache miss of their own on most spawns with a
    /// thousand sites, and pushed the reducer's lines out.
    private var recentSites = [Int32](repeating: -1, count: 1 << recentSiteBits)
    private static let recentSiteBits = 12
    /// Spawns whose site was not in `recentSites` (its file's bytes were read): for tests.
    private(set) var sitesFoundByBytes = 0
    private var freeSiteSlots: [Int32] = []
    private let siteSeed = SlotTable.randomSeed(salt: 0x517E)
    /// Live children by slot, and their slots by task id.
    private var children: [LiveChild] = []
    private var childSlots = SlotTable()
    private var freeChildSlots: [Int32] = []
    /// Open groups by slot, and their slots by group id.
    private var groups: [GroupHealth] = []
    private var groupSlots = SlotTable()
    private var freeGroupSlots: [Int32] = []
    /// Children reported slow to cancel, by slot (and id, to tell a reused slot).
    private var slowToCancel: [TaskID: Int32] = [:]
    private var conditions: [ConditionKey: Condition] = [:]
    private var nextEvaluation: UInt64 = 0
    private var nextGrowthSample: UInt64 = 0
    /// Where the next refresh of percentiles starts.
    private var summaryCursor = 0
    /// The most sites whose percentiles an evaluation on its own (as time passes) refreshes;
    /// ``evaluate()`` called by hand refreshes them all.
    public static let summaryRefreshes = 32

    /// A live child: its site's and group's slots, when it was spawned and started, and its
    /// links in its site's running or waiting list.
    struct LiveChild: Sendable {
        var task: TaskID
        var group: GroupID
        var groupSlot: Int32
        var site: Int32
        var spawnedAt: MonotonicTime
        var startedAt: MonotonicTime?
        var previous: Int32 = -1
        var next: Int32 = -1
    }

    struct GroupHealth: Sendable {
        var id: GroupID
        var openedAt: MonotonicTime
        var site: String
        var limit: Int?
        var running = 0
        var samples: [Int] = []
        var isGrowing = false
        /// False for a slot whose group closed, until it is reused.
        var isOpen = true
    }

    struct ConditionKey: Hashable, Sendable {
        let kind: WarningKind
        let subject: HealthWarning.Subject
    }

    /// A condition that holds at an evaluation: its site, its line, and when it started to
    /// hold when the rule can tell (a child crossed its threshold then), else now.
    struct Holding: Sendable {
        var site: String
        var detail: Detail
        var since: MonotonicTime?
    }

    /// A warning's measures, made into its line only when the warning is active: most
    /// conditions never fire, and text for each at every evaluation cost more than the rules.
    enum Detail: Hashable, Sendable {
        case stuck(age: UInt64, p99: UInt64?, limit: UInt64)
        case queueing(count: Int, threshold: UInt64, limit: Int?, longest: UInt64)
        case faultRate(rate: Double, ends: Int, baseline: Double)
        case growing(samples: [Int])
        case slowCancel(running: UInt64)

        var text: String {
            switch self {
            case .stuck(let age, let p99?, _): "running \(seconds(age)) (site p99 \(seconds(p99)))"
            case .stuck(let age, nil, let limit): "running \(seconds(age)) (over \(seconds(limit)))"
            case .queueing(let count, let threshold, let limit, let longest):
                "\(count) waiting over \(seconds(threshold)) for a slot\(limit.map { " (limit \($0))" } ?? ""), longest \(seconds(longest))"
            case .faultRate(let rate, let ends, let baseline):
                "\(percent(rate)) of \(ends) ends faulted in the last minute (before: \(percent(baseline)))"
            case .growing(let samples): "running children keep growing: " + samples.map(String.init).joined(separator: " → ")
            case .slowCancel(let running): "still running \(seconds(running)) after cancellation"
            }
        }
    }

    struct Condition: Sendable {
        var site: String
        var since: MonotonicTime
        var detail: Detail
        var firedAt: MonotonicTime?
        var falseSince: MonotonicTime?
        /// Its place in ``warnings`` while it is active (-1 when not there).
        var listed = -1
    }

    public init(configuration: HealthConfiguration = .default) {
        self.configuration = configuration
    }

    /// The warnings a stream of events leaves active at its end (or at `now`, if later): the
    /// library function behind "no warnings" assertions.
    public static func warnings(in events: some Sequence<Event>, configuration: HealthConfiguration = .default,
                                at now: MonotonicTime? = nil) -> [HealthWarning] {
        var model = HealthModel(configuration: configuration)
        for event in events { model.apply(event) }
        if let now, now > model.now { model.now = now }
        model.evaluate()  // at the end, whatever the interval
        return model.warnings
    }

    /// Durations and waits gathered and not yet in a histogram, for the tests.
    var gatheredCount: Int { gathered.count }
    /// The tracked live children, for the memory-bound tests.
    var trackedTasks: Int { children.count - freeChildSlots.count }
    var trackedGroups: Int { groupSlots.count }
    var trackedConditions: Int { conditions.count }
    /// The bytes the model holds, about.
    public var estimatedFootprint: Int {
        states.indices.reduce(0) { $0 + (hot[$1].isKept ? states[$1].footprint : MemoryLayout<SiteState>.stride + MemoryLayout<SiteHot>.stride) }
            + children.count * MemoryLayout<LiveChild>.stride + groups.count * 96
            + siteSlots.footprint + childSlots.footprint + groupSlots.footprint
            + recentSites.count * MemoryLayout<Int32>.stride + gathered.footprint
    }

    // MARK: Events

    /// Applies one event, then lets time pass to its timestamp.
    public mutating func apply(_ event: Event) {
        switch event.kind {
        case .groupOpened(let opened): openGroup(opened, at: event.time)
        case .groupClosed(let closed): closeGroup(closed.group)
        case .taskSpawned(let spawned):
            // Children the caller does not keep are found by id; a snapshot's repeat is skipped.
            guard childSlots[spawned.task.rawValue] == nil, let child = self.spawned(spawned, at: event.time) else { break }
            childSlots.insert(spawned.task.rawValue, slot: child.slot)
        case .taskStarted(let started):
            if let slot = childSlots[started.task.rawValue] { self.started(Child(slot: slot, task: started.task), started, at: event.time) }
        case .taskEnded(let ended):
            if let slot = childSlots.remove(ended.task.rawValue) { self.ended(Child(slot: slot, task: ended.task), ended, at: event.time) }
        case .slowToCancel(let slow):
            if let slot = childSlots[slow.task.rawValue] { slowToCancel(Child(slot: slot, task: slow.task)) }
        case .processCrashed(let crashed):
            // The service died in this child: it ends as crashed (as the dashboard counts it).
            if let id = crashed.task, let slot = childSlots.remove(id.rawValue) {
                let live = children[Int(slot)]
                self.ended(Child(slot: slot, task: id), TaskEnded(task: id, group: live.group, status: .crashed,
                                                                  durationNanoseconds: event.time.nanoseconds(since: live.startedAt ?? live.spawnedAt)),
                           at: event.time)
            }
        case .faultRecorded, .dropped, .heartbeat, .viewerAction: break
        }
        advance(to: event.time)
    }

    private mutating func openGroup(_ opened: GroupOpened, at time: MonotonicTime) {
        let site = "\(TextSanitizer.sanitize(opened.site.file)):\(opened.site.line)"
        guard let slot = groupSlots[opened.group.rawValue] ?? addGroup(opened.group, at: time) else { return }
        groups[Int(slot)].site = site
        groups[Int(slot)].limit = opened.limit
    }

    /// Tracks a group from `time`; nil when `maxGroups` are open (counted in `untrackedGroups`
    /// when `counting`: a group's open counts, its children's spawns do not).
    private mutating func addGroup(_ id: GroupID, at time: MonotonicTime, counting: Bool = true) -> Int32? {
        guard groupSlots.count < configuration.maxGroups else {
            if counting { untrackedGroups += 1 }
            return nil
        }
        let slot = Self.place(GroupHealth(id: id, openedAt: time, site: ""), in: &groups, reusing: &freeGroupSlots)
        groupSlots.insert(id.rawValue, slot: slot)
        return slot
    }

    private mutating func closeGroup(_ id: GroupID) {
        guard let slot = groupSlots.remove(id.rawValue) else { return }
        groups[Int(slot)] = GroupHealth(id: GroupID(rawValue: 0), openedAt: now, site: "", isOpen: false)
        freeGroupSlots.append(slot)
    }

    // MARK: Children a caller keeps

    /// A live child's place in the model, for a caller that keeps a record of each child (the
    /// dashboard's reducer): it hands the child back with the child's later events, and the
    /// model finds it without a lookup by id. ``apply(_:)`` keeps them by id instead; a caller
    /// uses one or the other for a child, never both.
    ///
    /// A caller may keep only the slot and make the child again with the task's id: a slot that
    /// was freed and reused since names another task, so the model ignores it.
    public struct Child: Hashable, Sendable {
        package let slot: Int32
        package let task: TaskID

        package init(slot: Int32, task: TaskID) {
            self.slot = slot
            self.task = task
        }
    }

    /// Whether `child` is live in the model (its slot was not freed and reused since).
    private func isLive(_ child: Child) -> Bool {
        child.slot >= 0 && Int(child.slot) < children.count && children[Int(child.slot)].site >= 0 && children[Int(child.slot)].task == child.task
    }

    /// Tracks a spawned child, to be passed to ``started(_:_:at:)`` and ``ended(_:_:at:)``;
    /// nil (and counted in ``untrackedTasks``) when its site cannot be kept or `maxTasks` are live.
    /// Let time pass with ``advance(to:)`` after each event.
    public mutating func spawned(_ spawned: TaskSpawned, at time: MonotonicTime) -> Child? {
        // Tracked by id already (the caller had no room for it then; this is a repeat): the
        // caller keeps that child from now on, so it is never counted twice.
        if !childSlots.isEmpty, let slot = childSlots.remove(spawned.task.rawValue) { return Child(slot: slot, task: spawned.task) }
        guard children.count - freeChildSlots.count < configuration.maxTasks, let site = siteSlot(for: spawned.site, at: time) else {
            untrackedTasks += 1
            return nil
        }
        // A group opened before we could see it (a late attach): its age counts from now.
        let groupSlot = groupSlots[spawned.group.rawValue] ?? addGroup(spawned.group, at: time, counting: false) ?? -1
        let child = LiveChild(task: spawned.task, group: spawned.group, groupSlot: groupSlot, site: site, spawnedAt: time)
        let slot = Self.place(child, in: &children, reusing: &freeChildSlots)
        let index = Int(site)
        Self.spawn(slot, in: &hot[index], children: &children, at: time)
        revision &+= 1
        return Child(slot: slot, task: spawned.task)
    }

    /// A tracked child started (a repeat is ignored).
    public mutating func started(_ child: Child, _ started: TaskStarted, at time: MonotonicTime) {
        guard isLive(child) else { return }
        // Read before the write: reading the record back over a store just made to part of
        // it stalled the load (a third of this function's samples).
        let live = children[Int(child.slot)]
        guard live.startedAt == nil else { return }
        children[Int(child.slot)].startedAt = time
        addRunning(1, group: live)
        let index = Int(live.site)
        if Self.start(child.slot, in: &hot[index], children: &children, waited: started.waitedNanoseconds > 0, at: time) {
            gather(started.waitedNanoseconds, isWait: true, site: index, at: time)
        }
        revision &+= 1
    }

    /// A tracked child ended: it is counted in its site, and its slot is freed.
    public mutating func ended(_ child: Child, _ ended: TaskEnded, at time: MonotonicTime) {
        guard let live = release(child) else { return }
        let index = Int(live.site)
        let fault = ended.status == .failed || ended.status == .timedOut || ended.status == .crashed
        let slot = time.rawValue / RateSlots.slotNanoseconds
        let ran = live.startedAt != nil
        if !Self.end(ended.status, fault: fault, ran: ran, in: &hot[index], rateSlot: slot, at: time) {
            if slot < hot[index].rateSlot {
                states[index].slots.add(ends: 1, faults: fault ? 1 : 0, slot: slot)  // older (a late viewer's snapshot)
            } else {
                states[index].takeRate(from: &hot[index])
                _ = hot[index].countRate(fault: fault, slot: slot)
            }
        }
        if ran { gather(ended.durationNanoseconds, isWait: false, site: index, at: time) }
        revision &+= 1
    }

    /// Gathers a run duration or a wait (``GatheredValues``), putting the values gathered in
    /// their histograms first when they are as many as it holds or of another half. The
    /// caller marks the site dirty, with the rest of what it changes there in one access
    /// (each `hot[index]` written apart was a uniqueness check of its own).
    private mutating func gather(_ nanoseconds: UInt64, isWait: Bool, site index: Int, at time: MonotonicTime) {
        let half = halfOfValue(at: time), micros = SlidingHistogram.micros(nanoseconds)
        if !gathered.add(site: Int32(index), isWait: isWait, micros: micros, half: half) {
            gathered.drain(into: &states)
            _ = gathered.add(site: Int32(index), isWait: isWait, micros: micros, half: half)
        }
    }

    /// A tracked child was reported slow to cancel.
    public mutating func slowToCancel(_ child: Child) {
        guard isLive(child) else { return }
        // Ended children leave the list at each evaluation; with the rule off, here.
        if slowToCancel.count >= 1_024, !configuration.enabled.contains(.slowCancel) { pruneSlowToCancel() }
        if slowToCancel.count < configuration.maxTasks { slowToCancel[child.task] = child.slot }
    }

    /// The caller stopped tracking a live child without its end (its stream lost it): it
    /// leaves its site's live counts, and no status is counted.
    public mutating func forget(_ child: Child) {
        guard let live = release(child) else { return }
        if live.startedAt == nil { hot[Int(live.site)].waiting -= 1 } else { hot[Int(live.site)].running -= 1 }
        revision &+= 1
    }

    /// Takes a live child out of its list, its group's count and its slot; what it was.
    private mutating func release(_ child: Child) -> LiveChild? {
        guard isLive(child) else { return nil }
        let slot = child.slot
        let live = children[Int(slot)]
        let index = Int(live.site)
        if live.startedAt == nil {
            Self.unlink(slot, from: &hot[index].waitingList, children: &children)
        } else {
            addRunning(-1, group: live)
            Self.unlink(slot, from: &hot[index].runningList, children: &children)
        }
        children[Int(slot)].site = -1
        freeChildSlots.append(slot)
        return live
    }

    /// Counts a child's start (+1) or end (-1) in its group, if the group is still the one it
    /// was spawned in (a closed group's slot may hold another).
    private mutating func addRunning(_ delta: Int, group child: LiveChild) {
        let slot = Int(child.groupSlot)
        guard slot >= 0, groups[slot].isOpen, groups[slot].id == child.group else { return }
        groups[slot].running += delta
    }

    /// Puts `value` in a freed slot of `array` (the last freed), else at its end; its slot.
    private static func place<Value>(_ value: Value, in array: inout [Value], reusing free: inout [Int32]) -> Int32 {
        if let slot = free.popLast() {
            array[Int(slot)] = value
            return slot
        }
        array.append(value)
        return Int32(array.count - 1)
    }

    /// A spawned child joins its site's waiting list and counts.
    private static func spawn(_ slot: Int32, in site: inout SiteHot, children: inout [LiveChild], at time: MonotonicTime) {
        link(slot, into: &site.waitingList, children: &children)
        site.countSpawn(at: time)
    }

    /// A child starts: it moves from its site's waiting list to the end of its running list,
    /// and counts. Returns whether its wait is recorded (the site is then marked dirty): once
    /// a site's children have waited, every start counts (an immediate one as 1 µs), so the
    /// wait percentiles are over all its starts, not only the ones that waited.
    private static func start(_ slot: Int32, in site: inout SiteHot, children: inout [LiveChild], waited: Bool,
                              at time: MonotonicTime) -> Bool {
        unlink(slot, from: &site.waitingList, children: &children)
        link(slot, into: &site.runningList, children: &children)
        site.countStart(at: time)
        guard waited || site.flags.contains(.hasWaited) else { return false }
        site.flags.formUnion([.hasWaited, .dirty])
        return true
    }

    /// A child ends: its site counts it, and the end in rate slot `rateSlot`; a child that ran
    /// marks the site dirty (its duration is gathered). Returns ``SiteHot/countRate(fault:slot:)``'s
    /// answer: false when the site holds another slot's ends (nothing counted in the rate yet).
    private static func end(_ status: TaskStatus, fault: Bool, ran: Bool, in site: inout SiteHot, rateSlot: UInt64,
                            at time: MonotonicTime) -> Bool {
        site.countEnd(status, wasRunning: ran, at: time)
        if ran { site.flags.insert(.dirty) }
        return site.countRate(fault: fault, slot: rateSlot)
    }

    /// Appends a child to a list (its newest end).
    private static func link(_ slot: Int32, into list: inout ChildList, children: inout [LiveChild]) {
        children[Int(slot)].previous = list.tail
        children[Int(slot)].next = -1
        if list.tail >= 0 { children[Int(list.tail)].next = slot } else { list.head = slot }
        list.tail = slot
    }

    /// Takes a child out of the list it is in.
    private static func unlink(_ slot: Int32, from list: inout ChildList, children: inout [LiveChild]) {
        let previous = children[Int(slot)].previous, next = children[Int(slot)].next
        if previous >= 0 { children[Int(previous)].next = next } else { list.head = next }
        if next >= 0 { children[Int(next)].previous = previous } else { list.tail = previous }
        children[Int(slot)].previous = -1
        children[Int(slot)].next = -1
    }

    /// The length of a half of the window, in stream time.
    private var halfLength: UInt64 { max(1, configuration.windowNanoseconds / 2) }

    private func half(of time: MonotonicTime) -> UInt64 {
        time.rawValue / halfLength
    }

    /// ``half(of:)`` for a value gathered at `time`: the half of the last value and its bounds
    /// are kept, so most values find theirs with two comparisons, not a division by the
    /// configured length for each value (two a child).
    private mutating func halfOfValue(at time: MonotonicTime) -> UInt64 {
        if time.rawValue >= valueHalf.start, time.rawValue < valueHalf.end { return valueHalf.number }
        let length = halfLength
        let number = time.rawValue / length
        let start = number * length
        let (end, overflow) = start.addingReportingOverflow(length)
        valueHalf = (number, start, overflow ? .max : end)
        return number
    }

    /// The slot of `site`, made if need be; nil when it cannot be kept (every site has live children).
    private mutating func siteSlot(for site: SourceSite, at time: MonotonicTime) -> Int32? {
        let address = site.fileAddress
        var recent = -1
        if let address {
            // The top bits of a multiplicative hash: the entry's index. The line is spread over
            // every bit first: XORed as it is into the address's low bits, neighbouring strings
            // with nearby lines gave equal keys, and such sites took each other's entry always.
            let mixed = ((address >> 4) ^ (UInt(site.line) &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
            recent = Int(truncatingIfNeeded: mixed >> UInt(UInt.bitWidth - Self.recentSiteBits))
            let slot = recentSites[recent]
            if slot >= 0, hot[Int(slot)].address == address, hot[Int(slot)].line == site.line, hot[Int(slot)].isKept {
                return slot
            }
        }
        sitesFoundByBytes &+= 1
        let fingerprint = site.fingerprint(seed: siteSeed)
        guard let slot = siteSlots[fingerprint] ?? makeSite(site, fingerprint: fingerprint, at: time) else { return nil }
        if recent >= 0, let address {
            recentSites[recent] = slot
            // The site's string from now on is this one (the site's first spawn with an address,
            // or the decoder's table made the string anew): the state keeps it, so its address
            // stays its own. The line is checked for two sites of one fingerprint.
            if hot[Int(slot)].address != address, hot[Int(slot)].line == site.line {
                hot[Int(slot)].address = address
                states[Int(slot)].origin = site
            }
        }
        return slot
    }

    /// Keeps a new site, evicting idle ones at the cap; nil when every site has live children.
    private mutating func makeSite(_ site: SourceSite, fingerprint: UInt64, at time: MonotonicTime) -> Int32? {
        if siteCount >= configuration.maxSites {
            evictIdleSites()
            if siteCount >= configuration.maxSites { return nil }
        }
        let state = SiteState(site: "\(TextSanitizer.sanitize(site.file)):\(site.line)", fingerprint: fingerprint, at: time)
        let slot = Self.place(state, in: &states, reusing: &freeSiteSlots)
        // `hot` runs beside `states`: the slot `place` chose is the hot part's too.
        let made = SiteHot(line: site.line, at: time)
        if Int(slot) < hot.count { hot[Int(slot)] = made } else { hot.append(made) }
        siteSlots.insert(fingerprint, slot: slot)
        return slot
    }

    /// Evicts an eighth of the cap at once (the least recently active sites with no live
    /// child), so a stream of new sites pays one sort per many sites.
    private mutating func evictIdleSites() {
        gathered.drain(into: &states)  // its values name slots that may be reused
        let idle = hot.indices.filter { hot[$0].isKept && hot[$0].live == 0 }
            .sorted { hot[$0].lastActivity < hot[$1].lastActivity }
        let victims = idle.prefix(max(1, configuration.maxSites / 8))
        var evictedText = Set<String>()
        for index in victims {
            evictedText.insert(states[index].row.site)
            siteSlots.remove(states[index].fingerprint)
            states[index] = SiteState.evicted
            hot[index] = SiteHot.evicted
            freeSiteSlots.append(Int32(index))
        }
        if !evictedText.isEmpty {
            func evicted(_ key: ConditionKey) -> Bool {
                if case .site(let text) = key.subject { evictedText.contains(text) } else { false }
            }
            // An evicted site's active warnings leave the list with it.
            var cleared: [Int] = []
            for (key, condition) in conditions where condition.firedAt != nil && evicted(key) {
                cleared.append(condition.listed)
                Self.unmark(key, in: &warnedSubjects)
            }
            conditions = conditions.filter { !evicted($0.key) }
            if !cleared.isEmpty {
                relist(clearing: cleared, firing: [])
                revision &+= 1
            }
        }
        evictedSites += victims.count
    }

    // MARK: Time and rules

    /// Lets stream time pass to `time`, evaluating the rules when an interval has passed.
    public mutating func advance(to time: MonotonicTime) {
        if time > now { now = time }
        guard now.rawValue >= nextEvaluation else { return }
        nextEvaluation = now.rawValue &+ max(1, configuration.evaluationIntervalNanoseconds)
        evaluate(refreshing: Self.summaryRefreshes)
    }

    /// Evaluates the rules now, whatever the interval, with every site's summary made anew
    /// (``advance(to:)`` evaluates on its own, refreshing at most ``summaryRefreshes`` summaries).
    public mutating func evaluate() {
        evaluate(refreshing: Int.max)
    }

    private mutating func evaluate(refreshing budget: Int) {
        var holding: [ConditionKey: Holding] = [:]
        // About as many hold as held last time: no growing of the table on the way.
        holding.reserveCapacity(conditions.count)
        let enabled = configuration.enabled
        let halfNow = half(of: now)
        // Fault rates for every site (a sum of six slots), and the fault-rate rule on them in
        // the same pass (each site's ring read once); percentiles for at most `budget` stale
        // sites (see refreshSummaries).
        let checkFaultRates = enabled.contains(.faultRate)
        var faultRates: [ConditionKey: Holding] = [:]
        for index in states.indices where hot[index].isKept {
            // What was gathered stays where it is: a value of a half that ends here goes to
            // the previous half when it is put in, and the rate reads the hot part's ends.
            // A window that moves changes the percentiles even with nothing recorded.
            if states[index].durations.advance(toHalf: halfNow) { hot[index].flags.insert(.dirty) }
            if states[index].waits.advance(toHalf: halfNow) { hot[index].flags.insert(.dirty) }
            let rate = states[index].slots.lastMinute(at: now, with: hot[index])
            states[index].row.summary.faultRate = rate.rate
            states[index].row.summary.recentEnds = rate.ends
            if checkFaultRates { checkFaultRate(of: index, recent: rate, into: &faultRates) }
        }
        refreshSummaries(limit: budget)
        if enabled.contains(.stuck) { findStuck(into: &holding) }
        if enabled.contains(.queueing) { findQueueing(into: &holding) }
        // Where the rule always ran: after stuck and queueing (findStuck reads holding.count),
        // before growing and slow-cancel. Keys of different kinds never collide.
        holding.merge(faultRates) { _, new in new }
        if enabled.contains(.growing) { findGrowing(into: &holding) }
        if enabled.contains(.slowCancel) { findSlowCancels(into: &holding) }
        settle(holding)
    }

    /// Makes the percentiles of at most `limit` sites with new values anew, round robin (a
    /// few microseconds a site). The periodic evaluation refreshes ``summaryRefreshes``; the
    /// dashboard also calls this on each frame, so that with a thousand busy sites each one's
    /// percentiles are refreshed within a second or two without any frame paying for all.
    public mutating func refreshSummaries(limit: Int) {
        let count = states.count
        guard count > 0, limit > 0 else { return }
        var chosen: [Int] = []
        for step in 0..<count {
            let index = (summaryCursor + step) % count
            guard hot[index].isKept, hot[index].flags.contains(.dirty) else { continue }
            chosen.append(index)
            if chosen.count == limit {
                summaryCursor = (index + 1) % count
                break
            }
        }
        guard !chosen.isEmpty else { return }
        // Only the chosen sites' gathered values go in now: the rest wait for a batch, where
        // sorting by site makes them cheaper (a tick would otherwise record every site's).
        if chosen.count * 4 >= count { gathered.drain(into: &states) } else { gathered.drain(sites: chosen, into: &states) }
        for index in chosen {
            hot[index].flags.remove(.dirty)
            states[index].row.summary.durations = states[index].durations.percentiles()
            states[index].row.summary.waits = states[index].waits.percentiles()
        }
        revision &+= 1
    }

    /// The summary of the site in slot `index` at ``now``, made anew (on copies: the model is
    /// left as it is).
    private func summary(of index: Int) -> SiteSummary {
        var state = states[index]
        for isWait in [false, true] {
            gathered.values(of: index, isWait: isWait).withUnsafeBufferPointer {
                if isWait { state.waits.record($0, inHalf: gathered.half) } else { state.durations.record($0, inHalf: gathered.half) }
            }
        }
        state.durations.advance(toHalf: half(of: now))
        state.waits.advance(toHalf: half(of: now))
        let rate = state.slots.lastMinute(at: now, with: hot[index])
        return SiteSummary(durations: state.durations.percentiles(), waits: state.waits.percentiles(),
                           faultRate: rate.rate, recentEnds: rate.ends)
    }

    /// Drops the slow-to-cancel children that ended (their slot is free, or holds another).
    private mutating func pruneSlowToCancel() {
        slowToCancel = slowToCancel.filter { task, slot in isLive(Child(slot: slot, task: task)) }
    }

    /// Children still running after cancellation reached them; the ones that ended leave the list.
    private mutating func findSlowCancels(into holding: inout [ConditionKey: Holding]) {
        pruneSlowToCancel()
        for (task, slot) in slowToCancel {
            let child = children[Int(slot)]
            holding[ConditionKey(kind: .slowCancel, subject: .task(task))] = Holding(
                site: states[Int(child.site)].row.site, detail: .slowCancel(running: now.nanoseconds(since: child.startedAt ?? child.spawnedAt)))
        }
    }

    /// Tracks each condition through its hold: fires one that held long enough, clears an
    /// active one that has been false long enough, forgets one that stopped before firing.
    private mutating func settle(_ holding: [ConditionKey: Holding]) {
        let hold = configuration.holdNanoseconds
        // The places in ``warnings`` of the warnings that cleared, and the conditions that
        // fired now; and whether an active one's measure moved (its line is made anew where
        // it is in the list).
        var cleared: [Int] = []
        var fired: [ConditionKey] = []
        var moved = false
        for key in Array(conditions.keys) where holding[key] == nil {
            guard conditions[key]!.firedAt != nil else {
                conditions.removeValue(forKey: key)
                continue
            }
            let falseSince = conditions[key]!.falseSince ?? now
            conditions[key]!.falseSince = falseSince
            if now.nanoseconds(since: falseSince) >= hold, let gone = conditions.removeValue(forKey: key) {
                cleared.append(gone.listed)
                Self.unmark(key, in: &warnedSubjects)
            }
        }
        for (key, value) in holding {
            guard let index = conditions.index(forKey: key) else {
                guard conditions.count < configuration.maxWarnings else {
                    warningsNotTracked += 1
                    continue
                }
                let condition = Condition(site: value.site, since: min(now, value.since ?? now), detail: value.detail)
                conditions[key] = condition
                if now.nanoseconds(since: condition.since) >= hold {
                    conditions[key]!.firedAt = now
                    fired.append(key)
                }
                continue
            }
            // In place, by index: one lookup for the whole update.
            conditions.values[index].detail = value.detail
            conditions.values[index].falseSince = nil
            if conditions.values[index].firedAt == nil {
                if now.nanoseconds(since: conditions.values[index].since) >= hold {
                    conditions.values[index].firedAt = now
                    fired.append(key)
                }
            } else if case let listed = conditions.values[index].listed, listed >= 0, listed < warnings.count {
                // Its measure moves, where it is in the list.
                warnings[listed].measure = value.detail
                moved = true
            }
        }
        if !cleared.isEmpty || !fired.isEmpty {
            relist(clearing: cleared, firing: fired)
            revision &+= 1
        } else if moved {
            revision &+= 1
        }
    }

    /// Takes the warnings at places `cleared` out of ``warnings`` and merges in the
    /// conditions that `fired`, keeping the list in order (kind, when fired, subject).
    ///
    /// The list stays sorted between evaluations, and the warnings that fire now are the
    /// newest: one merge of the few new ones (sorted alone) with the list, not a sort of
    /// every active warning. Sorting all 4,096 at each change took 40% of a tick; children
    /// crossing their sites' limits one after another change the list at most evaluations.
    private mutating func relist(clearing cleared: [Int], firing fired: [ConditionKey]) {
        var kept = warnings
        if !cleared.isEmpty {
            var gone = [Bool](repeating: false, count: warnings.count)
            for place in cleared where place >= 0 && place < gone.count { gone[place] = true }
            kept = []
            kept.reserveCapacity(max(0, warnings.count - cleared.count))
            for place in warnings.indices where !gone[place] { kept.append(warnings[place]) }
        }
        // All fired now: sorted by kind and subject, they are in the list's order. The keys
        // are sorted, not the warnings: comparing warnings copied them, a sort of 4,096 (all
        // firing at once) took a third of its tick.
        let added: [HealthWarning] = fired.sorted { $0.kind != $1.kind ? $0.kind < $1.kind : $0.subject < $1.subject }
            .compactMap { key in
                guard let condition = conditions[key], let firedAt = condition.firedAt else { return nil }
                Self.mark(key, in: &warnedSubjects)
                return HealthWarning(kind: key.kind, subject: key.subject, site: condition.site,
                                     since: condition.since, firedAt: firedAt, measure: condition.detail)
            }
        var merged: [HealthWarning] = []
        merged.reserveCapacity(kept.count + added.count)
        var a = 0, b = 0
        while a < kept.count || b < added.count {
            if b == added.count || (a < kept.count && !Self.listedBefore(added[b], kept[a])) {
                merged.append(kept[a])
                a += 1
            } else {
                merged.append(added[b])
                b += 1
            }
        }
        // The first place whose warning changes: the places before it stay as they are.
        let unchanged = zip(warnings, merged).prefix { $0.kind == $1.kind && $0.subject == $1.subject }.count
        warnings = merged
        for place in unchanged..<warnings.count {
            conditions[ConditionKey(kind: warnings[place].kind, subject: warnings[place].subject)]?.listed = place
        }
    }

    /// The order of ``warnings``: by kind, then when fired, then subject.
    private static func listedBefore(_ a: HealthWarning, _ b: HealthWarning) -> Bool {
        if a.kind != b.kind { return a.kind < b.kind }
        if a.firedAt != b.firedAt { return a.firedAt < b.firedAt }
        return a.subject < b.subject
    }

    /// Adds `key`'s kind to its subject's kinds (kept in kind order, as the list has them).
    private static func mark(_ key: ConditionKey, in marks: inout [HealthWarning.Subject: [WarningKind]]) {
        var kinds = marks[key.subject, default: []]
        guard !kinds.contains(key.kind) else { return }
        kinds.insert(key.kind, at: kinds.firstIndex { $0 > key.kind } ?? kinds.endIndex)
        marks[key.subject] = kinds
    }

    /// Takes `key`'s kind from its subject's kinds, and the subject when none is left.
    private static func unmark(_ key: ConditionKey, in marks: inout [HealthWarning.Subject: [WarningKind]]) {
        guard var kinds = marks[key.subject] else { return }
        kinds.removeAll { $0 == key.kind }
        marks[key.subject] = kinds.isEmpty ? nil : kinds
    }

    /// Running children older than their site's limit: the absolute threshold, or a multiple
    /// of the site's p99 once it has enough durations (never below the minimum).
    private func findStuck(into holding: inout [ConditionKey: Holding]) {
        let config = configuration
        for index in states.indices where hot[index].running > 0 {
            let oldest = hot[index].runningList.head
            guard oldest >= 0, let started = children[Int(oldest)].startedAt,
                  now.nanoseconds(since: started) >= config.stuckMinimumNanoseconds else { continue }
            let percentiles = states[index].row.summary.durations
            var limit = config.stuckAfterNanoseconds
            var p99: UInt64?
            if percentiles.count >= config.stuckMinimumSamples {
                let relative = max(config.stuckMinimumNanoseconds, UInt64(Double(percentiles.p99) * config.stuckP99Factor))
                if relative < limit {
                    limit = relative
                    p99 = percentiles.p99
                }
            }
            let site = states[index].row.site
            var slot = oldest
            while slot >= 0 {
                let child = children[Int(slot)]
                let since = child.startedAt ?? child.spawnedAt
                let age = now.nanoseconds(since: since)
                // Oldest first: past the first child under the limit, none is over it. Past
                // `maxWarnings` candidates, the rest wait (they could not be kept anyway).
                guard age >= limit, holding.count < config.maxWarnings else { break }
                holding[ConditionKey(kind: .stuck, subject: .task(child.task))] = Holding(
                    site: site, detail: .stuck(age: age, p99: p99, limit: limit),
                    since: MonotonicTime(nanoseconds: since.rawValue &+ limit))
                slot = child.next
            }
        }
    }

    /// Children waiting for a slot longer than the threshold, per group.
    private func findQueueing(into holding: inout [ConditionKey: Holding]) {
        let threshold = configuration.queueWaitNanoseconds
        var byGroup: [GroupID: (site: String, limit: Int?, count: Int, longest: UInt64, oldest: MonotonicTime)] = [:]
        for index in states.indices where hot[index].waiting > 0 {
            let site = states[index].row.site
            var slot = hot[index].waitingList.head
            while slot >= 0 {
                let child = children[Int(slot)]
                let age = now.nanoseconds(since: child.spawnedAt)
                guard age >= threshold, byGroup.count < configuration.maxWarnings else { break }
                let group = child.groupSlot >= 0 && groups[Int(child.groupSlot)].id == child.group ? groups[Int(child.groupSlot)] : nil
                var value = byGroup[child.group] ?? (site, group?.limit, 0, 0, child.spawnedAt)
                value.count += 1
                value.longest = max(value.longest, age)
                value.oldest = min(value.oldest, child.spawnedAt)
                byGroup[child.group] = value
                slot = child.next
            }
        }
        for (group, value) in byGroup {
            holding[ConditionKey(kind: .queueing, subject: .group(group))] = Holding(
                site: value.site,
                detail: .queueing(count: value.count, threshold: threshold, limit: value.limit, longest: value.longest),
                since: MonotonicTime(nanoseconds: value.oldest.rawValue &+ threshold))
        }
    }

    /// The fault-rate rule for the site in slot `index`: its rate over the last minute (`recent`,
    /// as the evaluation found it) high and well above the five minutes before.
    private func checkFaultRate(of index: Int, recent: (rate: Double, ends: Int), into holding: inout [ConditionKey: Holding]) {
        let config = configuration
        guard recent.ends > 0, recent.ends >= config.faultRateMinimumEnds, recent.rate >= config.faultRateMinimum else { return }
        let before = states[index].slots.sum(lastSlots: RateSlots.count - RateSlots.minute, skipping: RateSlots.minute, at: now,
                                             with: hot[index])
        let baseline = before.ends == 0 ? 0 : Double(before.faults) / Double(before.ends)
        guard recent.rate >= baseline * config.faultRateJumpFactor else { return }
        let site = states[index].row.site
        holding[ConditionKey(kind: .faultRate, subject: .site(site))] = Holding(
            site: site, detail: .faultRate(rate: recent.rate, ends: recent.ends, baseline: baseline))
    }

    /// Long-lived groups whose running children never fell and grew by the minimum over the samples.
    private mutating func findGrowing(into holding: inout [ConditionKey: Holding]) {
        let config = configuration
        if now.rawValue >= nextGrowthSample {
            nextGrowthSample = now.rawValue &+ max(1, config.growthSampleNanoseconds)
            for index in groups.indices where groups[index].isOpen {
                var group = groups[index]
                guard now.nanoseconds(since: group.openedAt) >= config.growthMinimumAgeNanoseconds else { continue }
                group.samples.append(group.running)
                if group.samples.count > config.growthSamples { group.samples.removeFirst(group.samples.count - config.growthSamples) }
                group.isGrowing = group.samples.count >= config.growthSamples
                    && zip(group.samples, group.samples.dropFirst()).allSatisfy { $0 <= $1 }
                    && group.samples.last! - group.samples.first! >= config.growthMinimum
                groups[index] = group
            }
        }
        for group in groups where group.isOpen && group.isGrowing {
            holding[ConditionKey(kind: .growing, subject: .group(group.id))] = Holding(site: group.site, detail: .growing(samples: group.samples))
        }
    }
}

/// `75 s`, `1.2 s`, `340 ms`, `85 µs`.
func seconds(_ nanoseconds: UInt64) -> String {
    switch nanoseconds {
    case 10_000_000_000...: "\(nanoseconds / 1_000_000_000) s"
    case 1_000_000_000...: "\(nanoseconds / 1_000_000_000).\(nanoseconds / 100_000_000 % 10) s"
    case 1_000_000...: "\(nanoseconds / 1_000_000) ms"
    default: "\(nanoseconds / 1_000) µs"
    }
}

/// `12%`.
func percent(_ rate: Double) -> String { "\(Int((rate * 100).rounded()))%" }

