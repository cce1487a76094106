import GroupEvents
import Synchronization
import SystemCalls

/// The bounded multi-producer, single-consumer queue between the groups and the monitor thread.
///
/// Producers append under a short lock to a preallocated array and never wait for the consumer;
/// when ``capacity`` events are already waiting, the event is dropped and counted, so that
/// `produced == delivered + dropped` holds exactly once the consumer has caught up. The consumer
/// swaps the whole array out in O(1).
///
/// The last ``reserved`` places are kept for fault-class events (``Event/isFaultClass``): a
/// routine event is dropped once `capacity - reserved` wait, a fault only when all `capacity`
/// do, so an overflowing burst loses its routine events first. A producer writes to the wake-up eventfd only when the
/// consumer said it is about to sleep, so a busy stream costs no system call per event.
final class EventBuffer: Sendable {
    struct State: ~Copyable {
        var events: [Event]
        var produced: UInt64 = 0
        var dropped: UInt64 = 0
        /// Of `dropped`, the fault-class events.
        var droppedFaults: UInt64 = 0
        var consumerSleeping = false
        var closed = false
    }

    /// The most events that can wait for the consumer.
    let capacity: Int
    /// The places only fault-class events may take: an eighth of ``capacity``.
    let reserved: Int
    private let state: Mutex<State>
    /// The eventfd that wakes the consumer. Owned here and closed only in `deinit`, when no
    /// producer can hold the buffer any more: a late `push` never writes to a reused descriptor.
    let wakeFD: Int32

    init(capacity: Int) throws(PosixError) {
        self.capacity = capacity
        self.reserved = Self.reserve(of: capacity)
        self.wakeFD = try Posix.eventfd()
        var events: [Event] = []
        events.reserveCapacity(capacity)
        self.state = Mutex(State(events: events))
    }

    /// Adds `event`, or counts it as dropped when the buffer is full or closed. Never blocks
    /// beyond the lock; never allocates once the buffer has been used at capacity.
    func push(_ event: Event) {
        // Classified outside the lock: a producer holds it for the append alone.
        let isFault = event.isFaultClass
        let limit = isFault ? capacity : capacity - reserved
        let wake = state.withLock { s -> Bool in
            s.produced &+= 1
            if s.closed || s.events.count >= limit {
                s.dropped &+= 1
                if isFault { s.droppedFaults &+= 1 }
                return false
            }
            s.events.append(event)
            if s.consumerSleeping {
                s.consumerSleeping = false
                return true
            }
            return false
        }
        if wake { Posix.signal(eventfd: wakeFD) }
    }

    /// Swaps the waiting events into `batch` (which must be empty) and returns the running
    /// totals at that instant.
    func take(into batch: inout [Event]) -> (produced: UInt64, dropped: UInt64, droppedFaults: UInt64) {
        state.withLock { s in
            swap(&s.events, &batch)
            return (s.produced, s.dropped, s.droppedFaults)
        }
    }

    /// The share of a buffer of `capacity` kept for fault-class events: an eighth, at least one
    /// place when the buffer has two.
    static func reserve(of capacity: Int) -> Int {
        capacity >= 2 ? max(1, capacity / 8) : 0
    }

    /// Marks the consumer as sleeping when nothing waits; returns false when events are waiting
    /// (then the consumer must not sleep).
    func prepareToSleep() -> Bool {
        state.withLock { s in
            if s.events.isEmpty { s.consumerSleeping = true; return true }
            return false
        }
    }

    /// From now on every event is dropped (counted), so the totals stay exact after shutdown.
    func close() {
        state.withLock { $0.closed = true }
    }

    deinit { Posix.close(wakeFD) }

    /// The running totals.
    var totals: (produced: UInt64, dropped: UInt64) {
        state.withLock { ($0.produced, $0.dropped) }
    }
}
