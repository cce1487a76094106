import GroupEvents

/// A first-in first-out queue of ids with the time each was queued at (tasks waiting to leave
/// the tree since they ended, groups waiting to be dropped since they closed), O(1) amortized
/// at both ends.
///
/// The time is kept beside the id so that expiring, which runs after every event, can tell
/// that nothing is due yet from the queue alone, without looking the id up.
struct IDQueue<ID: Hashable & Sendable>: Sendable {
    struct Entry: Sendable {
        let id: ID
        let time: MonotonicTime
    }

    private var items: [Entry] = []
    private var head = 0

    var count: Int { items.count - head }
    var first: Entry? { head < items.count ? items[head] : nil }

    mutating func append(_ id: ID, at time: MonotonicTime) { items.append(Entry(id: id, time: time)) }

    mutating func removeFirst() {
        head += 1
        // Reclaim the consumed prefix once it is most of the array.
        if head >= 1024, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    /// Drops the ids for which `isStale` is true, keeping the others in order.
    mutating func removeAll(where isStale: (ID) -> Bool) {
        items = items[head...].filter { !isStale($0.id) }
        head = 0
    }
}
