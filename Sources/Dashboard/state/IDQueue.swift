import DequeModule
import GroupEvents

/// A first-in first-out queue of ids with the time each was queued at (tasks waiting to leave
/// the tree since they ended, groups waiting to be dropped since they closed), O(1) at both
/// ends (swift-collections' `Deque`).
///
/// The time is kept beside the id so that expiring, which runs after every event, can tell
/// that nothing is due yet from the queue alone, without looking the id up.
struct IDQueue<ID: Hashable & Sendable>: Sendable {
    struct Entry: Sendable {
        let id: ID
        let time: MonotonicTime
    }

    private var items = Deque<Entry>()

    var count: Int { items.count }
    var first: Entry? { items.first }

    mutating func append(_ id: ID, at time: MonotonicTime) { items.append(Entry(id: id, time: time)) }

    mutating func removeFirst() { items.removeFirst() }

    /// Drops the ids for which `isStale` is true, keeping the others in order.
    mutating func removeAll(where isStale: (ID) -> Bool) {
        items.removeAll { isStale($0.id) }
    }
}
