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

    /// Adds one and returns the new value, ordered with every other sequentially consistent
    /// access: for a handshake such as a consumer's "about to sleep" against a producer's "one more".
    package func nextSequentiallyConsistent() -> UInt64 {
        value.add(1, ordering: .sequentiallyConsistent).newValue
    }

    /// Adds `count`, for a counter that one thread advances in steps.
    package func add(_ count: UInt64) {
        value.add(count, ordering: .sequentiallyConsistent)
    }

    /// The value now.
    package func load() -> UInt64 {
        value.load(ordering: .sequentiallyConsistent)
    }
}
