/// The thresholds of ``HealthModel``'s warnings and the bounds of its memory, with defaults.
///
/// Every duration is stream time (the events' monotonic timestamps), so a test drives the
/// rules with events and ``HealthModel/advance(to:)``, never by sleeping.
public struct HealthConfiguration: Hashable, Sendable {
    /// The warnings that run (`--warn`/`--allow` choose them). Default: all.
    public var enabled: Set<WarningKind> = Set(WarningKind.allCases)
    /// A condition fires only after it has held this long, and an active warning clears only
    /// after its condition has been false this long, so a warning never flickers on a
    /// boundary. Default 5 s.
    public var holdNanoseconds: UInt64 = 5_000_000_000
    /// How often the rules are evaluated, in stream time. Default 1 s.
    public var evaluationIntervalNanoseconds: UInt64 = 1_000_000_000

    /// `stuck`: a child running longer than this is possibly stuck, whatever its site. Default 60 s.
    public var stuckAfterNanoseconds: UInt64 = 60_000_000_000
    /// `stuck`: or longer than this many times its site's p99 duration…
    public var stuckP99Factor: Double = 10
    /// …once the site has this many durations in its window…
    public var stuckMinimumSamples: Int = 20
    /// …and never below this. Default 1 s.
    public var stuckMinimumNanoseconds: UInt64 = 1_000_000_000

    /// `queueing`: a child waiting longer than this for a slot under its group's limit. Default 5 s.
    public var queueWaitNanoseconds: UInt64 = 5_000_000_000

    /// `fault-rate`: the share of a site's ends over the last minute that failed, timed out or
    /// crashed must be at least this… Default 0.1.
    public var faultRateMinimum: Double = 0.1
    /// …with at least this many ends in that minute… Default 20.
    public var faultRateMinimumEnds: Int = 20
    /// …and at least this many times the site's rate over the five minutes before. Default 3.
    public var faultRateJumpFactor: Double = 3

    /// `growing`: a group open at least this long… Default 60 s.
    public var growthMinimumAgeNanoseconds: UInt64 = 60_000_000_000
    /// …whose running children, sampled this often… Default 10 s.
    public var growthSampleNanoseconds: UInt64 = 10_000_000_000
    /// …never fell over this many samples in a row (six: a minute)… Default 6.
    public var growthSamples: Int = 6
    /// …and grew by at least this many from the first to the last. Default 16.
    public var growthMinimum: Int = 16

    /// The sliding window of the duration percentiles, kept as two halves of half this: a
    /// percentile covers the half being filled and the one before it. Default 30 s
    /// (percentiles over the last 15–30 s).
    public var windowNanoseconds: UInt64 = 30_000_000_000

    /// Spawn sites kept. Beyond it, the least recently active sites with no live child are
    /// evicted (and counted in ``HealthModel/evictedSites``). A site holds up to four
    /// histograms (durations and waits, two halves each, made at their first value) at two
    /// significant digits: about 7 KiB each for values up to a second, 13 KiB up to an hour
    /// (the largest kept), plus about 1.5 KiB, so at most about 54 KiB a site, and the default
    /// of 1,024 bounds the statistics near 55 MiB in the worst case.
    public var maxSites: Int = 1_024
    /// Live children tracked; beyond it, new ones are counted as untracked. Default 262,144
    /// (the monitor's snapshot holds at most that many).
    public var maxTasks: Int = 262_144
    /// Open groups tracked; beyond it, new ones are counted as untracked. Default 65,536.
    public var maxGroups: Int = 65_536
    /// Active warnings kept (and conditions waiting to fire); beyond it, new ones are counted
    /// in ``HealthModel/warningsNotTracked``. Default 4,096.
    public var maxWarnings: Int = 4_096

    public init() {}

    public static let `default` = HealthConfiguration()
}
