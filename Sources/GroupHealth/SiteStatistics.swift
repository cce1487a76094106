import DequeModule
import GroupEvents

/// What one spawn site did: its children's counts, fault rate and duration percentiles.
public struct SiteStatistics: Sendable {
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

    /// Run durations of the children that ended in the window.
    var durations = SlidingHistogram()
    /// Waits from spawned to started, for sites whose children wait for a slot (made on the first wait).
    var waits: SlidingHistogram?
    /// Ends and faults (failed, timed out, crashed) per 10 s slot, the last six minutes.
    var slots = RateSlots()
    /// Live children in the order they started (running) or were spawned (waiting); entries
    /// of children that moved on are dropped when they reach the front, or on compaction.
    var runningQueue = Deque<QueuedTask>()
    var waitingQueue = Deque<QueuedTask>()

    struct QueuedTask: Sendable {
        let task: TaskID
        let time: MonotonicTime
    }

    init(site: String, at time: MonotonicTime) {
        self.site = site
        self.lastActivity = time
    }

    /// Children of this site that are live: a site with some is never evicted.
    public var live: Int { running + waiting }
    /// Children that ended, in all.
    public var ended: Int { ok + failed + timedOut + cancelled + crashed }

    /// Duration percentiles over the window (see ``HealthConfiguration/windowNanoseconds``),
    /// computed now (a pass over the histogram; ``summary`` has them as of the last evaluation).
    public var durationPercentiles: Percentiles { durations.percentiles }
    /// Spawned-to-started waits over the window; empty for a site whose children never waited.
    public var waitPercentiles: Percentiles { waits?.percentiles ?? Percentiles() }
    /// Percentiles and fault rate as of the last evaluation (at most one evaluation interval
    /// old): what views sort and show, so a frame never walks every site's histogram.
    public internal(set) var summary = SiteSummary()
    /// Whether something was recorded since ``summary`` was made.
    var isDirty = false
    /// False for the placeholder in an evicted site's slot.
    var isKept = true

    /// What an evicted site's slot holds until it is reused.
    static let evicted: SiteStatistics = {
        var site = SiteStatistics(site: "", at: MonotonicTime(nanoseconds: 0))
        site.isKept = false
        return site
    }()

    /// Faults (failed, timed out, crashed) per end over the last minute, with the ends; nil
    /// when nothing ended in it.
    public func faultRate(at now: MonotonicTime) -> (rate: Double, ends: Int)? {
        let (ends, faults) = slots.sum(lastSlots: RateSlots.minute, at: now)
        return ends == 0 ? nil : (Double(faults) / Double(ends), ends)
    }

    /// The bytes this site holds, about.
    var footprint: Int {
        256 + site.utf8.count + durations.footprint + (waits?.footprint ?? 0)
            + (runningQueue.count + waitingQueue.count) * MemoryLayout<QueuedTask>.stride
    }
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

    private var ends = [Int32](repeating: 0, count: RateSlots.count)
    private var faults = [Int32](repeating: 0, count: RateSlots.count)
    /// The slot number of the newest slot written.
    private var newest: UInt64 = 0

    mutating func record(fault: Bool, at time: MonotonicTime) {
        let slot = time.rawValue / Self.slotNanoseconds
        if slot > newest {
            // Clear the slots skipped since the newest (at most all of them).
            let steps = min(UInt64(Self.count), slot - newest)
            for step in 1...steps {
                let index = Int((newest + step) % UInt64(Self.count))
                ends[index] = 0
                faults[index] = 0
            }
            newest = slot
        } else if newest - slot >= UInt64(Self.count) {
            return  // older than the ring (a late viewer's snapshot)
        }
        let index = Int(slot % UInt64(Self.count))
        ends[index] &+= 1
        if fault { faults[index] &+= 1 }
    }

    /// Ends and faults in the `lastSlots` slots up to the one of `now`, skipping `skip` first.
    func sum(lastSlots: Int, skipping skip: Int = 0, at now: MonotonicTime) -> (ends: Int, faults: Int) {
        let nowSlot = now.rawValue / Self.slotNanoseconds
        var totals = (ends: 0, faults: 0)
        for back in skip..<(skip + lastSlots) where UInt64(back) <= nowSlot {
            let slot = nowSlot - UInt64(back)
            // Only slots written since they were last cleared: not newer than `newest`, not older than the ring.
            guard slot <= newest, newest - slot < UInt64(Self.count) else { continue }
            let index = Int(slot % UInt64(Self.count))
            totals.ends += Int(ends[index])
            totals.faults += Int(faults[index])
        }
        return totals
    }
}
