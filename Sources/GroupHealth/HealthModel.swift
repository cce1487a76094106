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
    public var sites: [SiteStatistics] { storage.filter(\.isKept) }
    /// How many sites are kept.
    public var siteCount: Int { slotOf.count }
    /// The statistics of `site`, if it is kept.
    public func statistics(for site: SourceSite) -> SiteStatistics? { slotOf[site].map { storage[Int($0)] } }
    /// Sites evicted to stay within ``HealthConfiguration/maxSites``.
    public private(set) var evictedSites = 0
    /// Children not tracked: their site could not be kept (every site had live children), or
    /// `maxTasks` were live. Their ends are not in any site's counts.
    public private(set) var untrackedTasks = 0
    /// Groups not tracked because `maxGroups` were open.
    public private(set) var untrackedGroups = 0
    /// Conditions not tracked because `maxWarnings` were.
    public private(set) var warningsNotTracked = 0
    /// The active warnings, by kind then by when they fired (rebuilt at each evaluation).
    public private(set) var warnings: [HealthWarning] = []
    /// The kinds of active warning on each task, group and site (for markers).
    public private(set) var warnedSubjects: [HealthWarning.Subject: [WarningKind]] = [:]
    /// The newest stream time seen.
    public private(set) var now = MonotonicTime(nanoseconds: 0)
    /// Changes whenever the active warnings or the sites' statistics change.
    public private(set) var revision: UInt64 = 0

    /// Sites by slot: a live child names its site's slot, so its start and end find the site
    /// without hashing its file name. An evicted site's slot holds an empty, unkept site until
    /// reused. Not optional: mutating through `!` copied the whole site on every event.
    private var storage: [SiteStatistics] = []
    private var slotOf: [SourceSite: Int32] = [:]
    private var freeSlots: [Int32] = []
    private var tasks: [TaskID: LiveTask] = [:]
    private var groups: [GroupID: GroupHealth] = [:]
    private var slowToCancel: Set<TaskID> = []
    private var conditions: [ConditionKey: Condition] = [:]
    private var nextEvaluation: UInt64 = 0
    private var nextGrowthSample: UInt64 = 0
    /// Where the next evaluation starts refreshing percentiles.
    private var summaryCursor = 0
    /// The most sites whose percentiles one evaluation refreshes.
    static let summaryRefreshes = 128

    struct LiveTask: Sendable {
        let site: Int32
        let group: GroupID
        let spawnedAt: MonotonicTime
        var startedAt: MonotonicTime?
    }

    struct GroupHealth: Sendable {
        let openedAt: MonotonicTime
        var site: String
        var limit: Int?
        var running = 0
        var samples: [Int] = []
        var isGrowing = false
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
    enum Detail: Sendable {
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

    /// The tracked live children, for the memory-bound tests.
    var trackedTasks: Int { tasks.count }
    var trackedGroups: Int { groups.count }
    var trackedConditions: Int { conditions.count }
    /// The bytes the sites hold, about.
    public var estimatedFootprint: Int { storage.reduce(0) { $0 + ($1.isKept ? $1.footprint : 64) } + slotOf.count * 48 + tasks.count * 64 + groups.count * 96 }

    // MARK: Events

    /// Applies one event, then lets time pass to its timestamp.
    public mutating func apply(_ event: Event) {
        switch event.kind {
        case .groupOpened(let opened): openGroup(opened, at: event.time)
        case .groupClosed(let closed): groups.removeValue(forKey: closed.group)
        case .taskSpawned(let spawned): spawn(spawned, at: event.time)
        case .taskStarted(let started): start(started, at: event.time)
        case .taskEnded(let ended): end(ended, at: event.time)
        case .slowToCancel(let slow):
            if tasks[slow.task] != nil, slowToCancel.count < configuration.maxTasks { slowToCancel.insert(slow.task) }
        case .faultRecorded, .dropped, .heartbeat, .processCrashed, .viewerAction: break
        }
        advance(to: event.time)
    }

    private mutating func openGroup(_ opened: GroupOpened, at time: MonotonicTime) {
        let site = "\(TextSanitizer.sanitize(opened.site.file)):\(opened.site.line)"
        if groups[opened.group] != nil {
            groups[opened.group]!.site = site
            groups[opened.group]!.limit = opened.limit
        } else if groups.count < configuration.maxGroups {
            groups[opened.group] = GroupHealth(openedAt: time, site: site, limit: opened.limit)
        } else {
            untrackedGroups += 1
        }
    }

    private mutating func spawn(_ spawned: TaskSpawned, at time: MonotonicTime) {
        guard tasks.index(forKey: spawned.task) == nil else { return }  // a snapshot's repeat
        guard tasks.count < configuration.maxTasks, let slot = slot(for: spawned.site, at: time) else {
            untrackedTasks += 1
            return
        }
        if groups.index(forKey: spawned.group) == nil, groups.count < configuration.maxGroups {
            // Opened before we could see it (a late attach): its age counts from now.
            groups[spawned.group] = GroupHealth(openedAt: time, site: "")
        }
        tasks[spawned.task] = LiveTask(site: slot, group: spawned.group, spawnedAt: time)
        let index = Int(slot)
        storage[index].spawned += 1
        storage[index].waiting += 1
        storage[index].lastActivity = time
        storage[index].waitingQueue.append(.init(task: spawned.task, time: time))
        let waiting = storage[index].waiting
        Self.compact(&storage[index].waitingQueue, live: waiting, tasks: tasks)
        revision &+= 1
    }

    private mutating func start(_ started: TaskStarted, at time: MonotonicTime) {
        guard let taskIndex = tasks.index(forKey: started.task), tasks.values[taskIndex].startedAt == nil else { return }
        tasks.values[taskIndex].startedAt = time
        let task = tasks.values[taskIndex]
        if let group = groups.index(forKey: task.group) { groups.values[group].running += 1 }
        let index = Int(task.site)
        storage[index].started += 1
        storage[index].waiting -= 1
        storage[index].running += 1
        storage[index].lastActivity = time
        if started.waitedNanoseconds > 0 || storage[index].waits != nil {
            if storage[index].waits == nil { storage[index].waits = SlidingHistogram() }
            storage[index].waits!.record(nanoseconds: started.waitedNanoseconds, at: half(of: time))
            storage[index].isDirty = true
        }
        storage[index].runningQueue.append(.init(task: started.task, time: time))
        let running = storage[index].running
        Self.compact(&storage[index].runningQueue, live: running, tasks: tasks)
        revision &+= 1
    }

    private mutating func end(_ ended: TaskEnded, at time: MonotonicTime) {
        guard let task = tasks.removeValue(forKey: ended.task) else { return }
        slowToCancel.remove(ended.task)
        if task.startedAt != nil, let group = groups.index(forKey: task.group) { groups.values[group].running -= 1 }
        let index = Int(task.site)
        if task.startedAt == nil { storage[index].waiting -= 1 } else { storage[index].running -= 1 }
        switch ended.status {
        case .ok: storage[index].ok += 1
        case .failed: storage[index].failed += 1
        case .timedOut: storage[index].timedOut += 1
        case .cancelled: storage[index].cancelled += 1
        case .crashed: storage[index].crashed += 1
        }
        storage[index].lastActivity = time
        storage[index].slots.record(fault: [.failed, .timedOut, .crashed].contains(ended.status), at: time)
        if task.startedAt != nil {
            storage[index].durations.record(nanoseconds: ended.durationNanoseconds, at: half(of: time))
            storage[index].isDirty = true
        }
        revision &+= 1
    }

    /// Drops entries of children that moved on once they are half of a queue, so a queue
    /// stays proportional to its site's live children. Static, with the tasks passed: a method
    /// on `self` while a site is borrowed from it would copy every site.
    private static func compact(_ queue: inout Deque<SiteStatistics.QueuedTask>, live: Int, tasks: [TaskID: LiveTask]) {
        guard queue.count >= 64, queue.count > 2 * live else { return }
        queue.removeAll { entry in
            !isCurrent(entry, running: tasks[entry.task]?.startedAt != nil, tasks: tasks)
        }
    }

    private func half(of time: MonotonicTime) -> UInt64 {
        time.rawValue / max(1, configuration.windowNanoseconds / 2)
    }

    /// The slot of `site`, made if need be; nil when it cannot be kept (every site has live children).
    private mutating func slot(for site: SourceSite, at time: MonotonicTime) -> Int32? {
        if let slot = slotOf[site] { return slot }
        if slotOf.count >= configuration.maxSites {
            // Evict an eighth at once (the least recently active idle sites), so a stream of
            // new sites pays one sort per many sites.
            let idle = slotOf.filter { storage[Int($0.value)].live == 0 }
                .sorted { storage[Int($0.value)].lastActivity < storage[Int($1.value)].lastActivity }
            let victims = idle.prefix(max(1, configuration.maxSites / 8))
            var evictedText = Set<String>()
            for (key, slot) in victims {
                evictedText.insert(storage[Int(slot)].site)
                storage[Int(slot)] = SiteStatistics.evicted
                slotOf.removeValue(forKey: key)
                freeSlots.append(slot)
            }
            if !evictedText.isEmpty {
                conditions = conditions.filter { if case .site(let text) = $0.key.subject { !evictedText.contains(text) } else { true } }
            }
            evictedSites += victims.count
            if victims.isEmpty { return nil }
        }
        let statistics = SiteStatistics(site: "\(TextSanitizer.sanitize(site.file)):\(site.line)", at: time)
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            storage[Int(slot)] = statistics
        } else {
            slot = Int32(storage.count)
            storage.append(statistics)
        }
        slotOf[site] = slot
        return slot
    }

    // MARK: Time and rules

    /// Lets stream time pass to `time`, evaluating the rules when an interval has passed.
    public mutating func advance(to time: MonotonicTime) {
        if time > now { now = time }
        guard now.rawValue >= nextEvaluation else { return }
        nextEvaluation = now.rawValue &+ max(1, configuration.evaluationIntervalNanoseconds)
        evaluate()
    }

    /// Evaluates the rules now, whatever the interval (``advance(to:)`` does it on its own).
    public mutating func evaluate() {
        var holding: [ConditionKey: Holding] = [:]
        let enabled = configuration.enabled
        let halfNow = half(of: now)
        // Fault rates for every site (a sum of six slots); percentiles for at most
        // `summaryRefreshes` stale sites, round robin (a pass over a histogram each): with a
        // thousand busy sites, each site's percentiles are at most eight evaluations old.
        var refreshed = 0
        let count = storage.count
        for step in 0..<count {
            let index = (summaryCursor + step) % count
            guard storage[index].isKept else { continue }
            // A window that moves changes the percentiles even with nothing recorded.
            if storage[index].durations.advance(toHalf: halfNow) { storage[index].isDirty = true }
            if storage[index].waits?.advance(toHalf: halfNow) == true { storage[index].isDirty = true }
            let rate = storage[index].faultRate(at: now)
            storage[index].summary.faultRate = rate?.rate ?? 0
            storage[index].summary.recentEnds = rate?.ends ?? 0
            guard storage[index].isDirty, refreshed < Self.summaryRefreshes else { continue }
            refreshed += 1
            if refreshed == Self.summaryRefreshes { summaryCursor = (index + 1) % count }
            storage[index].isDirty = false
            storage[index].summary.durations = storage[index].durations.percentiles
            storage[index].summary.waits = storage[index].waits?.percentiles ?? Percentiles()
        }
        if enabled.contains(.stuck) { findStuck(into: &holding) }
        if enabled.contains(.queueing) { findQueueing(into: &holding) }
        if enabled.contains(.faultRate) { findFaultRates(into: &holding) }
        if enabled.contains(.growing) { findGrowing(into: &holding) }
        if enabled.contains(.slowCancel) {
            for task in slowToCancel {
                guard let live = tasks[task] else { continue }
                let site = storage[Int(live.site)].site
                holding[ConditionKey(kind: .slowCancel, subject: .task(task))] = Holding(
                    site: site, detail: .slowCancel(running: now.nanoseconds(since: live.startedAt ?? live.spawnedAt)))
            }
        }
        settle(holding)
    }

    /// Tracks each condition through its hold: fires one that held long enough, clears an
    /// active one that has been false long enough, forgets one that stopped before firing.
    private mutating func settle(_ holding: [ConditionKey: Holding]) {
        let hold = configuration.holdNanoseconds
        var changed = false
        for key in Array(conditions.keys) where holding[key] == nil {
            guard conditions[key]!.firedAt != nil else {
                conditions.removeValue(forKey: key)
                continue
            }
            let falseSince = conditions[key]!.falseSince ?? now
            conditions[key]!.falseSince = falseSince
            if now.nanoseconds(since: falseSince) >= hold {
                conditions.removeValue(forKey: key)
                changed = true
            }
        }
        for (key, value) in holding {
            if conditions[key] == nil {
                guard conditions.count < configuration.maxWarnings else {
                    warningsNotTracked += 1
                    continue
                }
                conditions[key] = Condition(site: value.site, since: min(now, value.since ?? now), detail: value.detail)
            }
            conditions[key]!.detail = value.detail
            conditions[key]!.falseSince = nil
            if conditions[key]!.firedAt == nil, now.nanoseconds(since: conditions[key]!.since) >= hold {
                conditions[key]!.firedAt = now
                changed = true
            }
            if conditions[key]!.firedAt != nil { changed = true }  // its detail moves
        }
        guard changed || !warnings.isEmpty else { return }
        warnings = conditions.compactMap { key, condition in
            condition.firedAt.map {
                HealthWarning(kind: key.kind, subject: key.subject, site: condition.site, since: condition.since,
                              firedAt: $0, detail: condition.detail.text)
            }
        }.sorted { ($0.kind, $0.firedAt.rawValue, $0.subject) < ($1.kind, $1.firedAt.rawValue, $1.subject) }
        warnedSubjects = Dictionary(grouping: warnings, by: \.subject).mapValues { $0.map(\.kind) }
        revision &+= 1
    }

    /// Running children older than their site's limit: the absolute threshold, or a multiple
    /// of the site's p99 once it has enough durations (never below the minimum).
    private mutating func findStuck(into holding: inout [ConditionKey: Holding]) {
        let config = configuration
        for index in storage.indices where storage[index].running > 0 {
            Self.dropDeparted(&storage[index].runningQueue, running: true, tasks: tasks)
            guard let oldest = storage[index].runningQueue.first,
                  now.nanoseconds(since: oldest.time) >= config.stuckMinimumNanoseconds else { continue }
            let percentiles = storage[index].summary.durations
            var limit = config.stuckAfterNanoseconds
            var p99: UInt64?
            if percentiles.count >= config.stuckMinimumSamples {
                let relative = max(config.stuckMinimumNanoseconds, UInt64(Double(percentiles.p99) * config.stuckP99Factor))
                if relative < limit {
                    limit = relative
                    p99 = percentiles.p99
                }
            }
            let site = storage[index].site
            for entry in storage[index].runningQueue {
                let age = now.nanoseconds(since: entry.time)
                // Oldest first: past the first child under the limit, none is over it. Past
                // `maxWarnings` candidates, the rest wait (they could not be kept anyway).
                guard age >= limit, holding.count < config.maxWarnings else { break }
                guard Self.isCurrent(entry, running: true, tasks: tasks) else { continue }
                holding[ConditionKey(kind: .stuck, subject: .task(entry.task))] = Holding(
                    site: site, detail: .stuck(age: age, p99: p99, limit: limit),
                    since: MonotonicTime(nanoseconds: entry.time.rawValue &+ limit))
            }
        }
    }

    /// Children waiting for a slot longer than the threshold, per group.
    private mutating func findQueueing(into holding: inout [ConditionKey: Holding]) {
        let threshold = configuration.queueWaitNanoseconds
        var byGroup: [GroupID: (site: String, count: Int, longest: UInt64, oldest: MonotonicTime)] = [:]
        for index in storage.indices where storage[index].waiting > 0 {
            Self.dropDeparted(&storage[index].waitingQueue, running: false, tasks: tasks)
            let site = storage[index].site
            for entry in storage[index].waitingQueue {
                let age = now.nanoseconds(since: entry.time)
                guard age >= threshold, byGroup.count < configuration.maxWarnings else { break }
                guard Self.isCurrent(entry, running: false, tasks: tasks), let group = tasks[entry.task]?.group else { continue }
                var value = byGroup[group] ?? (site, 0, 0, entry.time)
                value.count += 1
                value.longest = max(value.longest, age)
                value.oldest = min(value.oldest, entry.time)
                byGroup[group] = value
            }
        }
        for (group, value) in byGroup {
            holding[ConditionKey(kind: .queueing, subject: .group(group))] = Holding(
                site: value.site,
                detail: .queueing(count: value.count, threshold: threshold, limit: groups[group]?.limit, longest: value.longest),
                since: MonotonicTime(nanoseconds: value.oldest.rawValue &+ threshold))
        }
    }

    /// Sites whose fault rate over the last minute is high and well above the five minutes before.
    private func findFaultRates(into holding: inout [ConditionKey: Holding]) {
        let config = configuration
        for site in storage where site.isKept {
            let recent = site.slots.sum(lastSlots: RateSlots.minute, at: now)
            guard recent.ends >= config.faultRateMinimumEnds else { continue }
            let rate = Double(recent.faults) / Double(recent.ends)
            guard rate >= config.faultRateMinimum else { continue }
            let before = site.slots.sum(lastSlots: RateSlots.count - RateSlots.minute, skipping: RateSlots.minute, at: now)
            let baseline = before.ends == 0 ? 0 : Double(before.faults) / Double(before.ends)
            guard rate >= baseline * config.faultRateJumpFactor else { continue }
            holding[ConditionKey(kind: .faultRate, subject: .site(site.site))] = Holding(
                site: site.site, detail: .faultRate(rate: rate, ends: recent.ends, baseline: baseline))
        }
    }

    /// Long-lived groups whose running children never fell and grew by the minimum over the samples.
    private mutating func findGrowing(into holding: inout [ConditionKey: Holding]) {
        let config = configuration
        if now.rawValue >= nextGrowthSample {
            nextGrowthSample = now.rawValue &+ max(1, config.growthSampleNanoseconds)
            for index in groups.indices {
                var group = groups.values[index]
                guard now.nanoseconds(since: group.openedAt) >= config.growthMinimumAgeNanoseconds else { continue }
                group.samples.append(group.running)
                if group.samples.count > config.growthSamples { group.samples.removeFirst(group.samples.count - config.growthSamples) }
                group.isGrowing = group.samples.count >= config.growthSamples
                    && zip(group.samples, group.samples.dropFirst()).allSatisfy { $0 <= $1 }
                    && group.samples.last! - group.samples.first! >= config.growthMinimum
                groups.values[index] = group
            }
        }
        for (id, group) in groups where group.isGrowing {
            holding[ConditionKey(kind: .growing, subject: .group(id))] = Holding(site: group.site, detail: .growing(samples: group.samples))
        }
    }

    /// Pops the entries at the front of a site's queue whose child moved on.
    private static func dropDeparted(_ queue: inout Deque<SiteStatistics.QueuedTask>, running: Bool, tasks: [TaskID: LiveTask]) {
        while let first = queue.first, !isCurrent(first, running: running, tasks: tasks) { queue.removeFirst() }
    }

    /// Whether a queue entry still describes its child (running since, or waiting since, its time).
    private static func isCurrent(_ entry: SiteStatistics.QueuedTask, running: Bool, tasks: [TaskID: LiveTask]) -> Bool {
        guard let task = tasks[entry.task] else { return false }
        return running ? task.startedAt == entry.time : (task.startedAt == nil && task.spawnedAt == entry.time)
    }

    // MARK: Text

    /// `75 s`, `1.2 s`, `340 ms`, `85 µs`.
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

import DequeModule
