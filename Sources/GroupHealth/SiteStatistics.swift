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

    /// Counts a spawn (one access to the row in the model's array, not one per field).
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

    /// Children of this site that are live: a site with some is never evicted.
    public var live: Int { running + waiting }
    /// Children that ended, in all.
    public var ended: Int { ok + failed + timedOut + cancelled + crashed }
}

/// What the model keeps of a site beside its ``SiteStatistics``: the histograms, the rate
/// slots, and its live children in the order they started or were spawned.
struct SiteState: Sendable {
    /// What views read, first: the fields an event touches sit together.
    var row: SiteStatistics
    let fingerprint: UInt64
    /// Running children, oldest start first; waiting children, oldest spawn first.
    var running = ChildList()
    var waiting = ChildList()
    /// Whether something was recorded since the summary was made.
    var isDirty = false
    /// Whether a child of this site ever waited for its start: from then on, every start's
    /// wait is recorded.
    var hasWaited = false
    /// False for what an evicted site's slot holds until it is reused.
    var isKept = true
    /// Ends and faults (failed, timed out, crashed) per 10 s slot, the last six minutes.
    var slots = RateSlots()
    /// Run durations of the children that ended in the window.
    var durations = SlidingHistogram()
    /// Waits from spawned to started (only for children that waited).
    var waits = SlidingHistogram()

    init(site: String, fingerprint: UInt64, at time: MonotonicTime) {
        self.row = SiteStatistics(site: site, at: time)
        self.fingerprint = fingerprint
    }

    /// Records an end: its fault or not in the rate slots, and a started child's duration.
    mutating func recordEnd(_ status: TaskStatus, duration: UInt64?, at time: MonotonicTime, half: UInt64) {
        slots.record(fault: status == .failed || status == .timedOut || status == .crashed, at: time)
        if let duration {
            durations.record(nanoseconds: duration, at: half)
            isDirty = true
        }
    }

    /// What an evicted site's slot holds until it is reused.
    static let evicted: SiteState = {
        var state = SiteState(site: "", fingerprint: 0, at: MonotonicTime(nanoseconds: 0))
        state.isKept = false
        return state
    }()

    /// The bytes this site holds, about.
    var footprint: Int { MemoryLayout<SiteState>.stride + row.site.utf8.count + durations.footprint + waits.footprint }
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

    mutating func record(fault: Bool, at time: MonotonicTime) {
        let slot = time.rawValue / Self.slotNanoseconds
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
        counts[Int(slot % UInt64(Self.count))] &+= fault ? 1 << 32 | 1 : 1
    }

    /// Faults per end over the last minute (zero when nothing ended), with the ends.
    func lastMinute(at now: MonotonicTime) -> (rate: Double, ends: Int) {
        let (ends, faults) = sum(lastSlots: Self.minute, at: now)
        return (ends == 0 ? 0 : Double(faults) / Double(ends), ends)
    }

    /// Ends and faults in the `lastSlots` slots up to the one of `now`, skipping `skip` first.
    func sum(lastSlots: Int, skipping skip: Int = 0, at now: MonotonicTime) -> (ends: Int, faults: Int) {
        let nowSlot = now.rawValue / Self.slotNanoseconds
        var totals = (ends: 0, faults: 0)
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
