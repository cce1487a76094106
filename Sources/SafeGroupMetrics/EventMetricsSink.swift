import CoreMetrics
import GroupEvents
import Synchronization

/// An ``EventSink`` that counts children and faults through swift-metrics.
///
/// The metrics (``Label``), each dimensioned by the child's spawn site (`site`, such as
/// `Checkout/Handler.swift:57`), never by free-form names:
///
/// | label | type | dimensions |
/// | --- | --- | --- |
/// | `safegroup_children_spawned_total` | counter | `site` |
/// | `safegroup_children_running` | meter (a gauge that goes up and down) | `site` |
/// | `safegroup_child_duration_seconds` | timer | `site` |
/// | `safegroup_faults_total` | counter | `site`, `kind` (`error`, `timeout`, `cancelled`, `crash`) |
///
/// Spawn sites are fixed in the code, so their number is bounded; still, past `maxSites`
/// distinct sites the rest share the site ``overflowSite``, so no amount of code can grow a
/// backend's memory without limit. The monitor's drops are ``MonitorMetrics``'s.
///
/// ```swift
/// EventSystem.bootstrap(MultiplexEventSink(EventMetricsSink(), monitor))
/// ```
///
/// Per event it updates one or two metrics under a lock that only children of the same task
/// shard share; it never waits on the backend beyond what the backend's handlers do.
public final class EventMetricsSink: EventSink {
    /// The metrics' labels.
    public enum Label {
        public static let spawned = "safegroup_children_spawned_total"
        public static let running = "safegroup_children_running"
        public static let duration = "safegroup_child_duration_seconds"
        public static let faults = "safegroup_faults_total"
    }

    /// The `site` of every spawn site past the first `maxSites`.
    public static let overflowSite = "other"

    /// The metrics of one spawn site.
    final class SiteMetrics: Sendable {
        let spawned: Counter
        let running: Meter
        let duration: CoreMetrics.Timer
        let faults: [FaultKind: Counter]

        init(site: String, factory: any MetricsFactory) {
            let dimensions = [("site", site)]
            spawned = Counter(label: Label.spawned, dimensions: dimensions, factory: factory)
            running = Meter(label: Label.running, dimensions: dimensions, factory: factory)
            duration = CoreMetrics.Timer(label: Label.duration, dimensions: dimensions, factory: factory)
            faults = Dictionary(uniqueKeysWithValues: FaultKind.allCases.map { kind in
                (kind, Counter(label: Label.faults, dimensions: dimensions + [("kind", kind.rawValue)], factory: factory))
            })
        }
    }

    /// A child between its spawn and its end.
    private struct LiveChild {
        let site: SiteMetrics
        var started: Bool
    }

    /// The live children whose ids fall in one shard: each shard has its own lock.
    private final class Shard: Sendable {
        let children = Mutex<[TaskID: LiveChild]>([:])
    }

    private static let shardCount = 16
    private let factory: any MetricsFactory
    private let maxSites: Int
    private struct Sites {
        var known: [SourceSite: SiteMetrics] = [:]
        /// Made when the first site past the bound comes, so a backend shows no `other` before.
        var overflow: SiteMetrics?
    }
    private let sites = Mutex(Sites())
    private let shards: [Shard]

    /// - Parameters:
    ///   - factory: the metrics backend; by default the one `MetricsSystem` was bootstrapped with.
    ///   - maxSites: how many spawn sites get metrics of their own; the rest share ``overflowSite``.
    public init(factory: any MetricsFactory = MetricsSystem.factory, maxSites: Int = 100) {
        precondition(maxSites >= 0, "EventMetricsSink(maxSites: \(maxSites)): cannot be negative")
        self.factory = factory
        self.maxSites = maxSites
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    public func emit(_ event: Event) {
        switch event.kind {
        case .taskSpawned(let spawned):
            let site = metrics(of: spawned.site)
            site.spawned.increment()
            shard(of: spawned.task).children.withLock { $0[spawned.task] = LiveChild(site: site, started: false) }
        case .taskStarted(let started):
            let site = shard(of: started.task).children.withLock { children -> SiteMetrics? in
                children[started.task]?.started = true
                return children[started.task]?.site
            }
            site?.running.increment()
        case .taskEnded(let ended):
            guard let child = shard(of: ended.task).children.withLock({ $0.removeValue(forKey: ended.task) }) else { return }
            if child.started { child.site.running.decrement() }
            child.site.duration.recordNanoseconds(ended.durationNanoseconds)
        case .faultRecorded(let fault):
            metrics(of: fault.site).faults[fault.kind]?.increment()
        default:
            return
        }
    }

    private func shard(of task: TaskID) -> Shard {
        shards[Int(task.rawValue % UInt64(Self.shardCount))]
    }

    /// The metrics of `site`, made on its first child.
    func metrics(of site: SourceSite) -> SiteMetrics {
        sites.withLock { sites in
            if let known = sites.known[site] { return known }
            guard sites.known.count < maxSites else {
                if let overflow = sites.overflow { return overflow }
                let made = SiteMetrics(site: Self.overflowSite, factory: factory)
                sites.overflow = made
                return made
            }
            let made = SiteMetrics(site: site.description, factory: factory)
            sites.known[site] = made
            return made
        }
    }
}
