import Synchronization

/// A relaxed, thread-safe counter for statistics read by tests and `statistics`.
final class AtomicCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    init() {}

    /// Adds `n`.
    func add(_ n: UInt64 = 1) { value.add(n, ordering: .relaxed) }

    /// Adds one and returns the new value.
    func next() -> UInt64 { value.add(1, ordering: .relaxed).newValue }

    var load: UInt64 { value.load(ordering: .relaxed) }
}
