import Synchronization

/// The bound of ``EventLogSink``'s queue: how many events wait, and how many were dropped
/// since the last one logged.
final class LogQueue: Sendable {
    private struct Counts {
        var waiting = 0
        var dropped: UInt64 = 0
    }
    private let capacity: Int
    private let counts = Mutex(Counts())

    init(capacity: Int) { self.capacity = capacity }

    /// Takes a place for one event; false when the queue is full, and the event is counted as dropped.
    func admit() -> Bool {
        counts.withLock { counts in
            guard counts.waiting < capacity else {
                counts.dropped += 1
                return false
            }
            counts.waiting += 1
            return true
        }
    }

    /// Gives back the place of the event taken off the queue; returns the drops since the last call.
    func taken() -> UInt64 {
        counts.withLock { counts in
            counts.waiting -= 1
            defer { counts.dropped = 0 }
            return counts.dropped
        }
    }
}
