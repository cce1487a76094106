/// An ``EventSink`` that hands every event to several sinks, in order.
///
/// ``EventSystem/bootstrap(_:)`` keeps one sink; a service that wants the monitor, a log and
/// metrics at once installs one of these:
///
/// ```swift
/// let monitor = try SafeGroupMonitor.start(service: "checkout", installAsDefault: false)
/// EventSystem.bootstrap(MultiplexEventSink(monitor, EventLogSink(logger: logger), EventMetricsSink()))
/// ```
///
/// It adds nothing per event beyond a loop over the sinks it was given: no lock, no copy of
/// the event (an `Event` is small; its large payloads are shared boxes). Each sink keeps its own
/// promise never to block, so the multiplexer keeps it too. Nested multiplexers are flattened
/// when built, so wrapping one in another costs no second loop.
public struct MultiplexEventSink: EventSink {
    /// The sinks every event goes to, in the order they receive it.
    public let sinks: [any EventSink]

    /// Builds a sink that forwards to `sinks`, in order.
    public init(_ sinks: [any EventSink]) {
        self.sinks = sinks.flatMap { sink -> [any EventSink] in
            (sink as? MultiplexEventSink)?.sinks ?? [sink]
        }
    }

    /// Builds a sink that forwards to `sinks`, in order.
    public init(_ sinks: any EventSink...) {
        self.init(sinks)
    }

    public func emit(_ event: Event) {
        for sink in sinks { sink.emit(event) }
    }
}
