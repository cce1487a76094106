import Synchronization

/// A bounded hand-off from the dashboard's producers (a client task, a file loader, the demo's
/// tasks) to its run loop, which takes everything waiting once per wake.
///
/// Bounded so that a stream faster than the screen cannot grow the viewer's memory: ``offer(_:)``
/// refuses an element beyond ``capacity`` and the producer decides what that means (the demo's
/// sink counts a drop, the client's task waits and lets the monitor count drops).
final class BoundedMailbox<Element: Sendable>: Sendable {
    let capacity: Int
    private let items: Mutex<[Element]>

    init(capacity: Int) {
        precondition(capacity > 0, "BoundedMailbox: capacity must be positive")
        self.capacity = capacity
        items = Mutex([])
    }

    /// Adds `element` unless the mailbox is full; returns whether it was added.
    func offer(_ element: sending Element) -> Bool {
        items.withLock { items in
            guard items.count < capacity else { return false }
            items.append(element)
            return true
        }
    }

    /// Takes everything waiting, oldest first.
    func takeAll() -> [Element] {
        items.withLock { items in
            guard !items.isEmpty else { return [] }
            // Swapped out, so the producers' lock is held only for the swap, not for a copy.
            var taken: [Element] = []
            taken.reserveCapacity(min(items.count, capacity))
            swap(&taken, &items)
            return taken
        }
    }
}
