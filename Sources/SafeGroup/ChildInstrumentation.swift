import GroupEvents

/// The current child's ``GroupInstrument``, for GroupIsolation: an isolated child hands its
/// context to the worker that runs its job.
@_spi(Isolation)
public enum ChildInstrumentation {
    /// The carrier entries (a W3C `traceparent`, say) of the current child's instrument; empty
    /// outside a child or when its group's sink has no instrument.
    public static func propagationCarrier() -> [String: String] {
        guard let sink = TaskContext.current?.group.sink as? any InstrumentedEventSink,
              let instrument = sink.instrument else { return [:] }
        return instrument.propagationCarrier()
    }
}
