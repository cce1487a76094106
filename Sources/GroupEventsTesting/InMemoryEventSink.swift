import GroupEvents
import Synchronization

/// An ``EventSink`` that keeps every event in memory, for tests.
///
/// ```swift
/// let sink = InMemoryEventSink()
/// let report = await withSafeGroup(name: "checkout", sink: sink) { group in ... }
/// #expect(sink.events.count == 4)
/// ```
///
/// Events are kept in fixed-size chunks, so that keeping a million of them never copies the
/// ones already kept (a growing array would, and would fault in twice the memory).
public final class InMemoryEventSink: EventSink {
    private static let chunkSize = 4096

    private struct Storage {
        var full: [[Event]] = []
        var current: [Event] = []
    }

    private let storage = Mutex(Storage())

    public init() {}

    public func emit(_ event: Event) {
        storage.withLock { storage in
            if storage.current.count == Self.chunkSize {
                storage.full.append(storage.current)
                storage.current = []
            }
            if storage.current.capacity == 0 { storage.current.reserveCapacity(Self.chunkSize) }
            storage.current.append(event)
        }
    }

    /// Every event received so far, in the order they arrived.
    public var events: [Event] {
        let (full, current) = storage.withLock { ($0.full, $0.current) }
        var all: [Event] = []
        all.reserveCapacity(full.count * Self.chunkSize + current.count)
        for chunk in full { all.append(contentsOf: chunk) }
        all.append(contentsOf: current)
        return all
    }

    /// How many events were received so far.
    public var count: Int {
        storage.withLock { $0.full.count * Self.chunkSize + $0.current.count }
    }

    /// Removes every event received so far.
    public func clear() { storage.withLock { $0 = Storage() } }

    /// The events of one kind, picked out by `extract`, in order.
    public func events<T>(_ extract: (Event.Kind) -> T?) -> [T] {
        events.compactMap { extract($0.kind) }
    }
}
