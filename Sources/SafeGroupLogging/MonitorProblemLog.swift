import GroupMonitor
import Logging
import Synchronization

/// Logs the monitor's problems through swift-log: events it dropped, and the messages it
/// reports (a recorder that stopped on an error, a recording it could not open, a crash handler
/// it could not install).
///
/// ```swift
/// let problems = MonitorProblemLog(logger: logger)
/// let monitor = try SafeGroupMonitor.start(service: "checkout", reporter: problems.reporter)
/// Task { await problems.watch(monitor) }  // checks once a second until cancelled
/// ```
///
/// It reads the monitor's running totals (``check(_:)``): nothing runs on the monitor's thread
/// or a child's.
public final class MonitorProblemLog: Sendable {
    private let logger: Logger
    private let level: Logger.Level

    /// The drops already logged.
    private let seenDropped = Mutex<UInt64>(0)

    /// - Parameter level: the level of every record.
    public init(logger: Logger, level: Logger.Level = .warning) {
        self.logger = logger
        self.level = level
    }

    /// A reporter for `SafeGroupMonitor.start(reporter:)` (or `SafeGroupMonitorService`): each
    /// message becomes a record. The monitor reports a recorder that stopped on an error this way.
    public var reporter: @Sendable (String) -> Void {
        { [logger, level] message in logger.log(level: level, "\(message)") }
    }

    /// Logs the events `monitor` dropped since the last check, if any.
    public func check(_ monitor: SafeGroupMonitor) {
        let dropped = monitor.statistics.dropped
        let newDrops = seenDropped.withLock { seen -> UInt64 in
            defer { seen = max(seen, dropped) }
            return dropped > seen ? dropped - seen : 0
        }
        guard newDrops > 0 else { return }
        logger.log(level: level, "the safegroup monitor of '\(monitor.service)' dropped \(newDrops) events (\(dropped) in all)",
                   metadata: [EventLogSink.MetadataKey.dropped: "\(newDrops)", EventLogSink.MetadataKey.droppedTotal: "\(dropped)",
                              EventLogSink.MetadataKey.path: .string(monitor.socketPath)])
    }

    /// Checks `monitor` every `interval` until the calling task is cancelled.
    public func watch(_ monitor: SafeGroupMonitor, every interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            check(monitor)
            do { try await Task.sleep(for: interval) } catch { break }
        }
        check(monitor)
    }
}
