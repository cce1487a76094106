/// An ``EventSink`` that hands every event to several sinks, in order.
///
/// ``EventSystem/bootstrap(_:)`` keeps one sink; a service that wants the monitor, a log and
/// metrics at once installs one of these:
///
/// ```swift
/// let monitor = try SafeGroupMonitor.start(service: "checkout", installAsDefault: false)
/// EventSystem.bootstrap(MultiplexEventSink(EventLogSink(logger: logger), EventMetricsSink(), monitor))
/// ```
///
/// It adds a loop over the sinks it was given and, since ``EventSink/emit(_:)`` takes its event,
/// one copy of the event for each sink but the last, which takes the event itself: list the
/// sink that keeps events (the monitor) last. No lock. Each sink keeps its own
/// promise never to block, so the multiplexer keeps it too. Nested multiplexers are flattened
/// when built, so wrapping one in another costs no second loop.
///
/// The sinks are kept in a buffer of its own, and each is called where it lies: iterating an
/// array copies every existential it visits, and children on every core then retain and release
/// the same sink (the monitor) for every event, which cost more than the call itself.
public final class MultiplexEventSink: InstrumentedEventSink {
    // Written once in init and only read afterwards, and every element is Sendable.
    private nonisolated(unsafe) let buffer: UnsafeMutableBufferPointer<any EventSink>

    /// The instrument of the first of its sinks that has one (a tracing sink beside the monitor).
    public let instrument: (any GroupInstrument)?

    /// The sinks every event goes to, in the order they receive it.
    public var sinks: [any EventSink] { Array(buffer) }

    /// Builds a sink that forwards to `sinks`, in order.
    public init(_ sinks: [any EventSink]) {
        let flat = sinks.flatMap { sink -> [any EventSink] in
            (sink as? MultiplexEventSink)?.sinks ?? [sink]
        }
        buffer = .allocate(capacity: flat.count)
        _ = buffer.initialize(from: flat)
        instrument = flat.lazy.compactMap { ($0 as? any InstrumentedEventSink)?.instrument }.first
    }

    /// Builds a sink that forwards to `sinks`, in order.
    public convenience init(_ sinks: any EventSink...) {
        self.init(sinks)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    /// Hands `event` to each sink in order: a copy to each but the last, which takes it.
    public func emit(_ event: consuming Event) {
        let last = buffer.count - 1
        guard last >= 0 else { return }
        for index in 0..<last { buffer[index].emit(copy event) }
        buffer[last].emit(event)
    }
}
