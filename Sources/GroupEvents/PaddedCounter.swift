import Synchronization

/// A counter that many threads bump, alone on its cache lines.
///
/// A counter that shares a cache line with data other threads read makes every bump evict
/// that data from their caches (false sharing): the task-id counter, bumped by every `spawn`,
/// sat next to globals the children read for each event, and cost more with events on than off.
package struct PaddedCounter: ~Copyable, Sendable {
    private let before: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                         UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private let value = Atomic<UInt64>(0)
    private let after: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    package init() {}

    /// Adds one and returns the new value (the first call returns 1).
    package func next() -> UInt64 {
        value.add(1, ordering: .relaxed).newValue
    }
}
