import GroupEvents
import Synchronization
import SystemCalls

/// The bounded multi-producer, single-consumer queue between the groups and the monitor thread.
///
/// Producers move each event, under a short lock, into a preallocated ``EventBlock`` and never
/// wait for the consumer; when ``capacity`` events are already waiting, the event is dropped and
/// counted, so that `produced == delivered + dropped` holds exactly once the consumer has caught
/// up. The consumer swaps the whole block out for its own empty one in O(1).
///
/// What a push touches is kept to the lock's state and the event's place: the block's count and
/// base live beside the lock, in the same few words (an `Array`'s count sat in its own storage,
/// one more line the two cores of a fan-out passed back and forth on every push), and the event
/// is moved in, not copied (a copy of an `Event` goes through its value witness).
///
/// The last ``reserved`` places are kept for fault-class events (``Event/isFaultClass``): a
/// routine event is dropped once `capacity - reserved` wait, a fault only when all `capacity`
/// do, so an overflowing burst loses its routine events first. A producer writes to the wake-up
/// eventfd only when the consumer said it is about to sleep, or when the block reaches half its
/// capacity (the consumer lets batches gather for a few milliseconds), so a busy stream costs no
/// system call per event.
final class EventBuffer: Sendable {
    struct State: ~Copyable {
        var block: EventBlock
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
    /// The count at which a producer wakes a consumer that is letting a batch gather: half the
    /// capacity.
    let wakeMark: Int
    private let state: Mutex<State>
    /// The eventfd that wakes the consumer. Owned here and closed only in `deinit`, when no
    /// producer can hold the buffer any more: a late `push` never writes to a reused descriptor.
    let wakeFD: Int32

    init(capacity: Int) throws(PosixError) {
        self.capacity = capacity
        self.reserved = Self.reserve(of: capacity)
        self.wakeMark = max(1, capacity / 2)
        self.wakeFD = try Posix.eventfd()
        self.state = Mutex(State(block: EventBlock(capacity: capacity)))
    }

    /// Adds `event`, or counts it as dropped when the buffer is full or closed. Never blocks
    /// beyond the lock; never allocates.
    func push(_ event: consuming Event) {
        // Classified outside the lock: a producer holds it for the move alone.
        let isFault = event.isFaultClass
        let limit = isFault ? capacity : capacity - reserved
        var event = Optional(event)  // the closure moves it out
        let wake = state.withLock { s -> Bool in
            s.produced &+= 1
            if s.closed || s.block.count >= limit {
                s.dropped &+= 1
                if isFault { s.droppedFaults &+= 1 }
                return false
            }
            s.block.append(event.take()!)
            if s.consumerSleeping {
                s.consumerSleeping = false
                return true
            }
            // Half full while the consumer lets a batch gather: it wakes now, long before the
            // routine events' limit (each count is passed once a fill, so one write a fill).
            return s.block.count == wakeMark
        }
        if wake { Posix.signal(eventfd: wakeFD) }
    }

    /// Swaps the waiting events into `batch` (which must be empty, of at least ``capacity``
    /// places) and returns the running totals at that instant.
    func take(into batch: inout EventBlock) -> (produced: UInt64, dropped: UInt64, droppedFaults: UInt64) {
        precondition(batch.count == 0 && batch.capacity >= capacity, "take needs an empty block of the buffer's capacity")
        return state.withLock { s in
            swap(&s.block, &batch)
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
            if s.block.count == 0 { s.consumerSleeping = true; return true }
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

/// A fixed block of event places, the first ``count`` of them holding events: what the
/// producers fill and the monitor thread drains, swapped between them whole.
///
/// The consumer reads the events in place through ``base`` and then moves each one out, once;
/// ``reset()`` then empties the block without touching the places again.
///
/// Unchecked: its places are reached only by its one owner, the buffer's state under its lock or
/// the monitor thread, and it passes between them whole.
struct EventBlock: ~Copyable, @unchecked Sendable {
    /// The places; the monitor thread reads and moves the events through it directly.
    let base: UnsafeMutablePointer<Event>
    let capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.base = .allocate(capacity: max(capacity, 1))
        self.capacity = capacity
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Moves `event` into the next place; the caller has checked there is one.
    mutating func append(_ event: consuming Event) {
        (base + count).initialize(to: event)
        count += 1
    }

    /// Marks every place empty: each event has been moved out already.
    mutating func reset() { count = 0 }

    /// Moves every event out, in order, and empties the block.
    mutating func moveAll() -> [Event] {
        let events = (0..<count).map { (base + $0).move() }
        count = 0
        return events
    }
}
