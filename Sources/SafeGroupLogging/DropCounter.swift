import Synchronization

/// A count of events dropped since it was last taken.
final class DropCounter: Sendable {
    private let count = Atomic<UInt64>(0)

    func add(_ n: UInt64) { count.add(n, ordering: .relaxed) }

    /// Returns the count and starts again from zero.
    func take() -> UInt64 { count.exchange(0, ordering: .relaxed) }
}
