import GroupEvents
import GroupMonitor
import ServiceLifecycle
import Synchronization

/// The in-service monitor as a swift-service-lifecycle `Service`.
///
/// `run()` starts the monitor, installs it as the process's default sink (with any other sinks
/// beside it, through a ``MultiplexEventSink``), and shuts it down when the service group shuts
/// down, gracefully or by cancellation. `ServiceGroup` shuts its services down in reverse order,
/// so list the monitor first: it stops last, and the other services' shutdown is still recorded
/// and shown to attached viewers.
///
/// ```swift
/// let monitor = SafeGroupMonitorService(service: "checkout")
/// let group = ServiceGroup(configuration: .init(
///     services: [monitor, jobs],
///     gracefulShutdownSignals: [.sigterm, .sigint],
///     logger: logger))
/// try await group.run()
/// ```
///
/// A service whose groups must not miss the first events awaits ``started()`` before opening
/// them (``SafeGroupService`` does, given the monitor).
public final class SafeGroupMonitorService: Service, Sendable {
    private let service: String
    private let socketPath: String?
    private let record: String?
    private let configuration: MonitorConfiguration
    private let sinks: [any EventSink]
    private let reporter: @Sendable (String) -> Void

    private enum Phase {
        case idle([CheckedContinuation<SafeGroupMonitor?, Never>])
        case running(SafeGroupMonitor)
        case ended(MonitorError?)
    }
    private let phase = Mutex(Phase.idle([]))

    /// Describes the monitor that `run()` starts; see `SafeGroupMonitor.start` for the parameters.
    ///
    /// - Parameter sinks: more sinks to install beside the monitor (a log, metrics); each event
    ///   goes to the monitor first, then to these in order.
    public init(service: String, socketPath: String? = nil, record: String? = nil,
                configuration: MonitorConfiguration = MonitorConfiguration(),
                sinks: [any EventSink] = [],
                reporter: @escaping @Sendable (String) -> Void = SafeGroupMonitor.standardErrorReporter) {
        self.service = service
        self.socketPath = socketPath
        self.record = record
        self.configuration = configuration
        self.sinks = sinks
        self.reporter = reporter
    }

    /// The running monitor, or nil before `run()` started it and after it shut down.
    public var monitor: SafeGroupMonitor? {
        phase.withLock { if case .running(let monitor) = $0 { monitor } else { nil } }
    }

    /// Waits until `run()` has started the monitor and installed the sinks; returns nil when it
    /// could not start it or has already shut it down.
    public func started() async -> SafeGroupMonitor? {
        await withCheckedContinuation { continuation in
            let now: SafeGroupMonitor?? = phase.withLock { phase in
                switch phase {
                case .idle(var waiters):
                    waiters.append(continuation)
                    phase = .idle(waiters)
                    return nil
                case .running(let monitor): return .some(monitor)
                case .ended: return .some(nil)
                }
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    public func run() async throws {
        let monitor: SafeGroupMonitor
        do {
            monitor = try SafeGroupMonitor.start(service: service, socketPath: socketPath, record: record,
                                                 configuration: configuration, installAsDefault: true,
                                                 reporter: reporter)
        } catch {
            for waiter in transition(to: .ended(error)) { waiter.resume(returning: nil) }
            throw error
        }
        // Installed by start (and as `SafeGroupMonitor.shared`); with other sinks, beside them,
        // and last: the multiplexer hands its last sink the event itself and the others copies,
        // and the monitor is the sink that keeps every event.
        if !sinks.isEmpty { EventSystem.bootstrap(MultiplexEventSink(sinks + [monitor])) }
        for waiter in transition(to: .running(monitor)) { waiter.resume(returning: monitor) }
        // Graceful shutdown and cancellation both end the wait; the monitor stops either way.
        try? await gracefulShutdown()
        _ = transition(to: .ended(nil))
        if !sinks.isEmpty, let installed = EventSystem.sink as? MultiplexEventSink,
           installed.sinks.last.map({ $0 as AnyObject === monitor }) == true {
            EventSystem.reset()
        }
        monitor.shutdown()
    }

    /// Moves to `next`; returns the waiters to resume (outside the lock).
    private func transition(to next: Phase) -> [CheckedContinuation<SafeGroupMonitor?, Never>] {
        phase.withLock { phase in
            defer { phase = next }
            if case .idle(let waiters) = phase { return waiters }
            return []
        }
    }
}
