import GroupEvents
import Synchronization

/// An ``EventSink`` that keeps every event in memory, for tests.
///
/// ```swift
/// let sink = InMemoryEventSink()
/// let report = await withSafeGroup(name: "checkout", sink: sink) { group in ... }
/// #expect(sink.events.count == 4)
/// ```
public final class InMemoryEventSink: EventSink {
    private let storage = Mutex<[Event]>([])

    public init() {}

    public func emit(_ event: Event) {
        storage.withLock { $0.append(event) }
    }

    /// Every event received so far, in the order they arrived.
    public var events: [Event] { storage.withLock { $0 } }

    /// Removes every event received so far.
    public func clear() { storage.withLock { $0.removeAll() } }

    /// The events of one kind, picked out by `extract`, in order.
    public func events<T>(_ extract: (Event.Kind) -> T?) -> [T] {
        events.compactMap { extract($0.kind) }
    }
}
