import GroupEvents
import Logging

/// An ``EventSink`` that logs what needs a person's attention: every fault, and every child
/// still running long after it was cancelled, through swift-log.
///
/// It takes a `Logger` the way `ServiceGroup` does. Each record carries `safegroup.*` metadata
/// (``MetadataKey``): the task, the group, the spawn site, the fault's kind and error type.
///
/// ```swift
/// let log = EventLogSink(logger: logger)
/// EventSystem.bootstrap(MultiplexEventSink(log, monitor))
/// ```
///
/// It never blocks a child: ``emit(_:)`` ignores the routine events (spawns, starts, ends) with
/// one comparison, and puts the rest in a bounded queue; a task of its own logs them, so a slow
/// log handler never reaches a child. When the queue is full, events are dropped and the next
/// record logged says how many (``MetadataKey/dropped``).
public final class EventLogSink: EventSink {
    /// The `safegroup.*` metadata keys of the records.
    public enum MetadataKey {
        public static let task = "safegroup.task"
        public static let taskName = "safegroup.task.name"
        public static let group = "safegroup.group"
        public static let groupName = "safegroup.group.name"
        public static let site = "safegroup.site"
        public static let kind = "safegroup.kind"
        public static let errorType = "safegroup.error.type"
        public static let signal = "safegroup.signal"
        public static let sinceCancel = "safegroup.since-cancel"
        /// Events lost since the last record: by this sink's full queue, or by the monitor.
        public static let dropped = "safegroup.dropped"
        /// The monitor's drops since it started.
        public static let droppedTotal = "safegroup.dropped.total"
        public static let path = "safegroup.path"
    }

    private enum Item: Sendable {
        case event(Event)
        case flush(CheckedContinuation<Void, Never>)
    }

    private let continuation: AsyncStream<Item>.Continuation
    private let queue: LogQueue

    /// - Parameters:
    ///   - logger: where the records go.
    ///   - faultLevel: the level of a fault's record.
    ///   - slowToCancelLevel: the level of a slow-to-cancel child's record.
    ///   - capacity: how many events may wait to be logged; more are dropped and counted.
    public init(logger: Logger, faultLevel: Logger.Level = .error, slowToCancelLevel: Logger.Level = .warning,
                capacity: Int = 1024) {
        precondition(capacity >= 1, "EventLogSink(capacity: \(capacity)): the capacity must be at least 1")
        // Unbounded underneath: the capacity is kept by `queue`, so that a flush is never dropped.
        let (stream, continuation) = AsyncStream<Item>.makeStream()
        self.continuation = continuation
        let queue = LogQueue(capacity: capacity)
        self.queue = queue
        // Unstructured on purpose: it outlives no one but the sink, whose deinit ends the stream.
        Task.detached {
            for await item in stream {
                switch item {
                case .event(let event):
                    let dropped = queue.taken()
                    Self.log(event, to: logger, faultLevel: faultLevel, slowToCancelLevel: slowToCancelLevel,
                             droppedBefore: dropped)
                case .flush(let waiter):
                    waiter.resume()
                }
            }
        }
    }

    deinit { continuation.finish() }

    public func emit(_ event: Event) {
        switch event.kind {
        case .faultRecorded, .slowToCancel:
            guard queue.admit() else { return }
            continuation.yield(.event(event))
        default:
            return
        }
    }

    /// Returns once every event emitted before the call has been logged (or dropped).
    public func flush() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            // An ended stream will never reach the marker: nothing is waiting.
            if case .enqueued = continuation.yield(.flush(waiter)) { return }
            waiter.resume()
        }
    }

    static func log(_ event: Event, to logger: Logger, faultLevel: Logger.Level, slowToCancelLevel: Logger.Level,
                    droppedBefore: UInt64) {
        var metadata: Logger.Metadata = [:]
        if droppedBefore > 0 { metadata[MetadataKey.dropped] = "\(droppedBefore)" }
        switch event.kind {
        case .faultRecorded(let fault):
            metadata[MetadataKey.task] = "\(fault.task)"
            metadata[MetadataKey.taskName] = .string(fault.taskName)
            metadata[MetadataKey.group] = "\(fault.group)"
            metadata[MetadataKey.groupName] = .string(fault.groupName)
            metadata[MetadataKey.site] = "\(fault.site)"
            metadata[MetadataKey.kind] = .string(fault.kind.rawValue)
            if !fault.errorType.isEmpty { metadata[MetadataKey.errorType] = .string(fault.errorType) }
            if let signal = fault.signal { metadata[MetadataKey.signal] = "\(signal)" }
            logger.log(level: faultLevel, "child '\(fault.taskName)' in group '\(fault.groupName)': \(fault.kind.rawValue): \(fault.message)",
                       metadata: metadata)
        case .slowToCancel(let slow):
            metadata[MetadataKey.task] = "\(slow.task)"
            metadata[MetadataKey.group] = "\(slow.group)"
            metadata[MetadataKey.sinceCancel] = "\(Duration.nanoseconds(Int64(clamping: slow.sinceCancelNanoseconds)))"
            logger.log(level: slowToCancelLevel, "child \(slow.task) of group \(slow.group) is still running after its cancellation",
                       metadata: metadata)
        default:
            return
        }
    }
}
