import GroupEvents
import Synchronization
import SystemCalls

/// The bounded multi-producer, single-consumer queue between the groups and the monitor thread.
///
/// **Shards.** Every thread appends to the shard its identity hashes to (``CurrentThread``), each
/// a lock and an array alone on their cache lines, so that the two cores of a fan-out do not
/// take turns at one lock and one array: with a single lock, the lock's line and the array's
/// tail moved between the cores on every event. The consumer swaps each shard's array out in O(1).
///
/// **Order.** An accepted event takes the next number of one shared counter, inside its shard's
/// lock, so a shard's array is in number order. The consumer merges the shards by number and
/// hands on only the unbroken run from the next number it expects: when a producer took a number
/// but appended to a shard the consumer had already swapped out, the events after the hole wait
/// for the next take. Numbers are taken in an order that agrees with what happened before what
/// (an atomic increment is ordered with the code around it), so a task's spawned, started and
/// ended events, and a group's close after its children's ends, come out in the order they
/// happened, whichever threads emitted them.
///
/// **Bounds.** Producers never wait for the consumer. When ``capacity`` events are numbered and not
/// yet taken, the event is dropped and counted, so that `produced == delivered + dropped` holds
/// exactly once the consumer has caught up. The last ``reserved`` places are kept for fault-class
/// events (``Event/isFaultClass``): a routine event is dropped once `capacity - reserved` wait, a
/// fault only when all `capacity` do, so an overflowing burst loses its routine events first. The
/// check counts from the shard's own last number rather than the shared counter's line, so each
/// shard can overshoot by one event: at most ``shardCount`` events beyond ``capacity``.
///
/// **Wake-up.** A producer writes to the wake-up eventfd only when the consumer said it is about to
/// sleep, so a busy stream costs no system call per event.
final class EventBuffer: Sendable {
    struct Numbered {
        var number: UInt64
        var event: Event
    }

    struct Shard: ~Copyable {
        var events: [Numbered] = []
        var produced: UInt64 = 0
        var dropped: UInt64 = 0
        /// Of `dropped`, the fault-class events.
        var droppedFaults: UInt64 = 0
        var closed = false
        /// The number this shard's last accepted event took.
        var lastNumber: UInt64 = 0
    }

    /// A shard's lock alone on its cache lines. Shards are allocated one after another; the
    /// padding keeps two shards' locks off one line (lines are 64 bytes, and adjacent lines are
    /// fetched in pairs). Not generic, so the per-event call is direct (`InMemoryEventSink`'s
    /// shard is the same shape for its own storage).
    final class ShardLock: Sendable {
        private let before: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                             UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let state: Mutex<Shard>
        private let after: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        init(_ shard: consuming Shard) { state = Mutex(shard) }
    }

    /// The consumer's side: the arrays it swaps in, the events waiting behind a hole in the
    /// numbers, and the next number it hands on. Only the monitor thread touches it.
    struct Consumer {
        var spares: [[Numbered]]
        /// Each shard's recent largest take, decaying: a spare far larger than that is trimmed, so
        /// a past burst does not keep its memory.
        var peaks: [Int]
        var runs: [[Numbered]]
        /// Taken events after a hole, in number order.
        var waiting: [Numbered] = []
        var next: UInt64 = 1
    }

    /// Shards: a power of two. More than the cores a service has, so that its threads rarely share.
    static let shardCount = 8

    /// The most events that can wait for the consumer.
    let capacity: Int
    /// The places only fault-class events may take: an eighth of ``capacity``.
    let reserved: Int
    private let shards: [ShardLock]
    /// The last number handed to an accepted event (the first gets 1). Bumped by every accepted
    /// event, on cache lines of its own.
    private let numbered = PaddedCounter()
    /// Events the consumer has taken out of the shards: published once per take, read by every push.
    private let taken = PaddedCounter()
    private let consumerSleeping = Atomic<Bool>(false)
    private let consumer: Mutex<Consumer>
    /// The eventfd that wakes the consumer. Owned here and closed only in `deinit`, when no
    /// producer can hold the buffer any more: a late `push` never writes to a reused descriptor.
    let wakeFD: Int32

    init(capacity: Int) throws(PosixError) {
        self.capacity = capacity
        self.reserved = Self.reserve(of: capacity)
        self.wakeFD = try Posix.eventfd()
        // Each shard and each spare starts with room for its share of the capacity, so a
        // thread's first burst does not grow its array by copies and fresh pages; a thread that
        // emits more than its share grows its arrays, which then keep that size while it does.
        let share = Self.share(of: capacity)
        self.shards = (0..<Self.shardCount).map { _ in
            var shard = Shard()
            shard.events.reserveCapacity(share)
            return ShardLock(shard)
        }
        self.consumer = Mutex(Consumer(spares: (0..<Self.shardCount).map { _ in
                                           var spare: [Numbered] = []
                                           spare.reserveCapacity(share)
                                           return spare
                                       },
                                       peaks: Array(repeating: 0, count: Self.shardCount),
                                       runs: Array(repeating: [], count: Self.shardCount)))
    }

    /// Adds `event`, or counts it as dropped when the buffer is full or closed. Never blocks
    /// beyond its shard's lock, which another producer holds only when two threads share a shard.
    /// `shard` is the calling thread's, unless a test chooses.
    func push(_ event: Event, shard: Int = CurrentThread.shard(of: EventBuffer.shardCount)) {
        // Classified outside the lock: a producer holds it for the append alone.
        let isFault = event.isFaultClass
        let limit = UInt64(isFault ? capacity : capacity - reserved)
        let accepted = shards[shard].state.withLock { s -> Bool in
            s.produced &+= 1
            // The shard's last number stands for the shared counter, whose line the other core
            // is writing: it is behind by what other shards numbered since, so this shard can
            // overshoot the limit by one event before its next number shows the truth.
            let taken = self.taken.load()
            if s.closed || s.lastNumber &- min(taken, s.lastNumber) >= limit {
                s.dropped &+= 1
                if isFault { s.droppedFaults &+= 1 }
                return false
            }
            let number = self.numbered.nextSequentiallyConsistent()
            s.lastNumber = number
            s.events.append(Numbered(number: number, event: event))
            return true
        }
        // After the number (sequentially consistent): either the consumer, about to sleep, sees
        // it, or this sees the consumer's flag and wakes it.
        if accepted, consumerSleeping.load(ordering: .sequentiallyConsistent),
           consumerSleeping.exchange(false, ordering: .sequentiallyConsistent) {
            Posix.signal(eventfd: wakeFD)
        }
    }

    /// Moves the events that can be handed on, in order, into `batch` (which must be empty) and
    /// returns the running totals at that instant.
    func take(into batch: inout [Event]) -> (produced: UInt64, dropped: UInt64, droppedFaults: UInt64) {
        consumer.withLock { c in
            var produced: UInt64 = 0, dropped: UInt64 = 0, droppedFaults: UInt64 = 0
            var count = 0
            for index in 0..<Self.shardCount {
                var run = c.spares[index]
                c.spares[index] = []
                shards[index].state.withLock { s in
                    swap(&s.events, &run)
                    produced &+= s.produced
                    dropped &+= s.dropped
                    droppedFaults &+= s.droppedFaults
                }
                count += run.count
                c.runs[index] = run
            }
            taken.add(UInt64(count))
            Self.merge(&c, into: &batch)
            for index in 0..<Self.shardCount {
                var run = c.runs[index]
                c.runs[index] = []
                c.peaks[index] = max(run.count, c.peaks[index] - c.peaks[index] / 16)
                let keep = max(2 * c.peaks[index], Self.share(of: capacity))
                if run.capacity > keep + 1024 {
                    run = []
                    run.reserveCapacity(keep)
                } else {
                    run.removeAll(keepingCapacity: true)
                }
                c.spares[index] = run
            }
            return (produced, dropped, droppedFaults)
        }
    }

    /// Hands on, in number order, the events numbered `c.next`, `c.next + 1`, … that the runs and
    /// the waiting events hold; keeps the rest, behind a hole, waiting.
    static func merge(_ c: inout Consumer, into batch: inout [Event]) {
        var waiting = c.waiting
        c.waiting = []
        var cursors = [Int](repeating: 0, count: shardCount + 1)
        var next = c.next
        let placeholder = Self.placeholder
        // Each run is in number order; consecutive numbers usually come from one run, so the
        // inner loop moves a stretch of one run before looking at the others. Moved, not copied:
        // a copy and the run's later destruction of each event cost the monitor thread a third
        // of its time. What an event leaves behind is a placeholder with nothing to release.
        func drain(_ run: inout [Numbered], _ cursor: inout Int) -> Bool {
            let start = cursor
            run.withUnsafeMutableBufferPointer { elements in
                guard let base = elements.baseAddress else { return }
                while cursor < elements.count, elements[cursor].number == next {
                    let element = (base + cursor).move()
                    (base + cursor).initialize(to: Numbered(number: 0, event: placeholder))
                    batch.append(element.event)
                    next &+= 1
                    cursor += 1
                }
            }
            return cursor != start
        }
        var progressed = true
        while progressed {
            progressed = drain(&waiting, &cursors[shardCount])
            for index in 0..<shardCount where drain(&c.runs[index], &cursors[index]) { progressed = true }
        }
        c.next = next
        // What is left follows a hole: it waits, in number order, for the next take.
        var left = Array(waiting[cursors[shardCount]...])
        for index in 0..<shardCount where cursors[index] < c.runs[index].count {
            left.append(contentsOf: c.runs[index][cursors[index]...])
        }
        left.sort { $0.number < $1.number }
        c.waiting = left
    }

    /// What a moved-out event leaves in its run until the run is cleared: a payload of plain
    /// numbers, so clearing it releases nothing.
    private static let placeholder = Event(time: MonotonicTime(nanoseconds: 0), .dropped(Dropped(count: 0, faults: 0)))

    /// A shard's share of `capacity`: what each shard's arrays are made with.
    static func share(of capacity: Int) -> Int {
        min(capacity, max(64, capacity / shardCount))
    }

    /// The share of a buffer of `capacity` kept for fault-class events: an eighth, at least one
    /// place when the buffer has two.
    static func reserve(of capacity: Int) -> Int {
        capacity >= 2 ? max(1, capacity / 8) : 0
    }

    /// Marks the consumer as sleeping when nothing waits; returns false when events are waiting
    /// or behind a hole (then the consumer must not sleep).
    func prepareToSleep() -> Bool {
        consumerSleeping.store(true, ordering: .sequentiallyConsistent)
        if numbered.load() != taken.load() {
            consumerSleeping.store(false, ordering: .sequentiallyConsistent)
            return false
        }
        return true
    }

    /// From now on every event is dropped (counted), so the totals stay exact after shutdown.
    /// Once it returns, every accepted event is in a shard: the next take has no hole.
    func close() {
        for shard in shards { shard.state.withLock { $0.closed = true } }
    }

    deinit { Posix.close(wakeFD) }

    /// The running totals.
    var totals: (produced: UInt64, dropped: UInt64) {
        var produced: UInt64 = 0, dropped: UInt64 = 0
        for shard in shards {
            shard.state.withLock { s in
                produced &+= s.produced
                dropped &+= s.dropped
            }
        }
        return (produced, dropped)
    }
}
