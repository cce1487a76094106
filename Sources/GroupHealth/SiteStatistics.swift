import GroupEvents

/// What one spawn site did: its children's counts, and its percentiles and fault rate as of
/// the model's last evaluation.
///
/// A small value (the histograms and queues stay in the model), so the sites view copies and
/// sorts a thousand of them in microseconds.
public struct SiteStatistics: Hashable, Sendable {
    /// `file:line` (sanitized).
    public let site: String
    /// Children spawned here (while watched).
    public internal(set) var spawned = 0
    /// Children that started (got a slot and ran).
    public internal(set) var started = 0
    public internal(set) var running = 0
    public internal(set) var waiting = 0
    public internal(set) var ok = 0
    public internal(set) var failed = 0
    public internal(set) var timedOut = 0
    public internal(set) var cancelled = 0
    public internal(set) var crashed = 0
    /// When something last happened here (stream time): the least recently active sites go first.
    public internal(set) var lastActivity: MonotonicTime
    /// Percentiles and fault rate as of the site's last refresh (each evaluation refreshes
    /// ``HealthModel/summaryRefreshes`` sites, and the dashboard 16 more a frame): what views
    /// sort and show, so a frame never walks every histogram. ``HealthModel/statistics(for:)``
    /// makes it anew.
    public internal(set) var summary = SiteSummary()

    init(site: String, at time: MonotonicTime) {
        self.site = site
        self.lastActivity = time
    }

    /// Children of this site that are live: a site with some is never evicted.
    public var live: Int { running + waiting }
    /// Children that ended, in all.
    public var ended: Int { ok + failed + timedOut + cancelled + crashed }
}

/// What a child's events touch of its site, in 120 bytes: its counts, its live children's
/// lists and the ends of the current rate slot. The model keeps these in an array of their
/// own, apart from each site's histograms and rate ring (``SiteState``, kilobytes a site): a
/// thousand busy sites' hot parts take 120 KB and stay in a core's L2 between a child's
/// events; the durations and waits go to ``GatheredValues``, and the rate ring is touched once
/// per rate slot. With the two together, each child touched six or seven lines of 1.5 MB of
/// sites, most of them misses.
struct SiteHot: Sendable {
    var spawned = 0
    var started = 0
    var ok = 0
    var failed = 0
    var timedOut = 0
    var cancelled = 0
    var crashed = 0
    var running: Int32 = 0
    var waiting: Int32 = 0
    var lastActivity: MonotonicTime
    /// Running children, oldest start first; waiting children, oldest spawn first.
    var runningList = ChildList()
    var waitingList = ChildList()
    /// Where the file's bytes of the string the site's state keeps are (0 when none is kept):
    /// a spawn whose site's file is at this address, with this line, is of this site.
    var address: UInt = 0
    var flags: Flags
    let line: UInt32
    /// Ends and faults of rate slot `rateSlot` not yet in the site's ring.
    var rateSlot: UInt64 = 0
    var rateEnds: UInt32 = 0
    var rateFaults: UInt32 = 0

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        /// False for what an evicted site's slot holds until it is reused.
        static let kept = Flags(rawValue: 1)
        /// Something was recorded since the summary was made.
        static let dirty = Flags(rawValue: 2)
        /// A child of this site waited for its start: from then on, every start's wait is recorded.
        static let hasWaited = Flags(rawValue: 4)
    }

    init(line: UInt32, at time: MonotonicTime) {
        self.line = line
        self.lastActivity = time
        self.flags = .kept
    }

    /// What an evicted site's slot holds until it is reused.
    static let evicted = SiteHot(line: 0, flags: [])

    private init(line: UInt32, flags: Flags) {
        self.line = line
        self.lastActivity = MonotonicTime(nanoseconds: 0)
        self.flags = flags
    }

    var isKept: Bool { flags.contains(.kept) }
    var live: Int { Int(running) + Int(waiting) }

    mutating func countSpawn(at time: MonotonicTime) {
        spawned += 1
        waiting += 1
        lastActivity = time
    }

    mutating func countStart(at time: MonotonicTime) {
        started += 1
        waiting -= 1
        running += 1
        lastActivity = time
    }

    mutating func countEnd(_ status: TaskStatus, wasRunning: Bool, at time: MonotonicTime) {
        if wasRunning { running -= 1 } else { waiting -= 1 }
        switch status {
        case .ok: ok += 1
        case .failed: failed += 1
        case .timedOut: timedOut += 1
        case .cancelled: cancelled += 1
        case .crashed: crashed += 1
        }
        lastActivity = time
    }

    /// Counts an end (a fault or not) in rate slot `slot`; false, and nothing counted, when
    /// the counts held are of another slot: take them first.
    mutating func countRate(fault: Bool, slot: UInt64) -> Bool {
        if rateEnds > 0 && slot != rateSlot { return false }
        rateSlot = slot
        rateEnds &+= 1
        if fault { rateFaults &+= 1 }
        return true
    }

    /// The site's row: its counts from here, its text and summary from `cold`.
    func row(_ cold: SiteStatistics) -> SiteStatistics {
        var row = cold
        row.spawned = spawned
        row.started = started
        row.running = Int(running)
        row.waiting = Int(waiting)
        row.ok = ok
        row.failed = failed
        row.timedOut = timedOut
        row.cancelled = cancelled
        row.crashed = crashed
        row.lastActivity = lastActivity
        return row
    }
}

/// What the model keeps of a site apart from its ``SiteHot``: its text and summary, its
/// histograms and its rate ring.
struct SiteState: Sendable {
    /// The site's text and summary; its counts are in its ``SiteHot`` (``SiteHot/row(_:)``).
    var row: SiteStatistics
    /// Ends and faults (failed, timed out, crashed) per 10 s slot, the last six minutes.
    var slots = RateSlots()
    /// Run durations of the children that ended in the window.
    var durations = SlidingHistogram()
    /// Waits from spawned to started (once a child of the site waited).
    var waits = SlidingHistogram()
    /// The site's key in the model's table (``SourceSite/fingerprint(seed:)``).
    let fingerprint: UInt64
    /// The site as a spawn last gave it, kept so that its file's string stays alive and its
    /// address (``SiteHot/address``) names that string alone.
    var origin: SourceSite?

    init(site: String, fingerprint: UInt64, at time: MonotonicTime) {
        self.row = SiteStatistics(site: site, at: time)
        self.fingerprint = fingerprint
    }

    /// Puts the ends counted in `hot` in the rate ring, and empties them there. (Readers of the
    /// rate read them where they are: ``RateSlots/lastMinute(at:with:)``.)
    mutating func takeRate(from hot: inout SiteHot) {
        if hot.rateEnds > 0 { slots.add(ends: hot.rateEnds, faults: hot.rateFaults, slot: hot.rateSlot) }
        hot.rateEnds = 0
        hot.rateFaults = 0
    }

    /// What an evicted site's slot holds until it is reused.
    static let evicted = SiteState(site: "", fingerprint: 0, at: MonotonicTime(nanoseconds: 0))

    /// The bytes this site holds, about (its hot part included).
    var footprint: Int {
        MemoryLayout<SiteState>.stride + MemoryLayout<SiteHot>.stride + row.site.utf8.count + durations.footprint + waits.footprint
    }
}

/// A doubly linked list of live children threaded through the model's child slots: a child
/// leaves it in O(1) when it starts or ends, with no search and no lookup by id.
struct ChildList: Sendable {
    var head: Int32 = -1
    var tail: Int32 = -1
}

/// A site's percentiles and fault rate at one evaluation.
public struct SiteSummary: Hashable, Sendable {
    public var durations = Percentiles()
    public var waits = Percentiles()
    /// Faults per end over the last minute (0 when nothing ended), and the ends.
    public var faultRate: Double = 0
    public var recentEnds = 0
}

/// Counts of ends and faults per 10-second slot of stream time, over six minutes: the last
/// minute is the recent rate, the five before it the baseline.
struct RateSlots: Sendable {
    static let slotNanoseconds: UInt64 = 10_000_000_000
    static let count = 36
    static let minute = 6

    /// Ends in the low half of each slot, faults in the high half: inline, in the site's own
    /// memory (two arrays were two more cache misses an end).
    private var counts = InlineArray<36, UInt64>(repeating: 0)
    /// The slot number of the newest slot written.
    private var newest: UInt64 = 0

    /// Adds `ends` ends, `faults` of them faults, to slot `slot` (10 s of stream time each).
    mutating func add(ends: UInt32, faults: UInt32, slot: UInt64) {
        if slot > newest {
            // Clear the slots skipped since the newest (at most all of them).
            let steps = min(UInt64(Self.count), slot - newest)
            for step in 1...steps {
                counts[Int((newest + step) % UInt64(Self.count))] = 0
            }
            newest = slot
        } else if newest - slot >= UInt64(Self.count) {
            return  // older than the ring (a late viewer's snapshot)
        }
        counts[Int(slot % UInt64(Self.count))] &+= UInt64(faults) << 32 | UInt64(ends)
    }

    /// Faults per end over the last minute (zero when nothing ended), with the ends; `hot`'s
    /// ends not yet in the ring count too.
    func lastMinute(at now: MonotonicTime, with hot: SiteHot) -> (rate: Double, ends: Int) {
        let (ends, faults) = sum(lastSlots: Self.minute, at: now, with: hot)
        return (ends == 0 ? 0 : Double(faults) / Double(ends), ends)
    }

    /// Ends and faults in the `lastSlots` slots up to the one of `now`, skipping `skip` first;
    /// `hot`'s ends not yet in the ring count too (as they will once put in: the slots that
    /// putting them in would clear are empty or out of any window up to `now`).
    func sum(lastSlots: Int, skipping skip: Int = 0, at now: MonotonicTime, with hot: SiteHot) -> (ends: Int, faults: Int) {
        let nowSlot = now.rawValue / Self.slotNanoseconds
        var totals = (ends: 0, faults: 0)
        if hot.rateEnds > 0, hot.rateSlot <= nowSlot, nowSlot - hot.rateSlot >= UInt64(skip),
           nowSlot - hot.rateSlot < UInt64(skip + lastSlots) {
            totals = (Int(hot.rateEnds), Int(hot.rateFaults))
        }
        for back in skip..<(skip + lastSlots) where UInt64(back) <= nowSlot {
            let slot = nowSlot - UInt64(back)
            // Only slots written since they were last cleared: not newer than `newest`, not older than the ring.
            guard slot <= newest, newest - slot < UInt64(Self.count) else { continue }
            let both = counts[Int(slot % UInt64(Self.count))]
            totals.ends += Int(both & 0xFFFF_FFFF)
            totals.faults += Int(both >> 32)
        }
        return totals
    }
}
