import CoreMetrics
import GroupMonitor
import Synchronization

/// The monitor's drops as a swift-metrics counter, `safegroup_monitor_dropped_events_total`
/// (dimension `service`).
///
/// ```swift
/// let drops = MonitorMetrics(monitor)
/// Task { await drops.watch() }  // updates once a second until cancelled
/// ```
///
/// It reads the monitor's running totals (``update()``): nothing runs on the monitor's thread.
public final class MonitorMetrics: Sendable {
    /// The counter's label.
    public static let droppedLabel = "safegroup_monitor_dropped_events_total"

    private let monitor: SafeGroupMonitor
    private let dropped: Counter
    private let counted = Mutex<UInt64>(0)

    /// - Parameter factory: the metrics backend; by default the one `MetricsSystem` was bootstrapped with.
    public init(_ monitor: SafeGroupMonitor, factory: any MetricsFactory = MetricsSystem.factory) {
        self.monitor = monitor
        self.dropped = Counter(label: Self.droppedLabel, dimensions: [("service", monitor.service)], factory: factory)
    }

    /// Adds to the counter the events the monitor dropped since the last update.
    public func update() {
        let total = monitor.statistics.dropped
        let new = counted.withLock { counted -> UInt64 in
            defer { counted = max(counted, total) }
            return total > counted ? total - counted : 0
        }
        if new > 0 { dropped.increment(by: Int64(clamping: new)) }
    }

    /// Updates every `interval` until the calling task is cancelled.
    public func watch(every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            update()
            do { try await Task.sleep(for: interval) } catch { break }
        }
        update()
    }
}
