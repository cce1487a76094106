/// A first-in first-out queue of ids (tasks waiting to leave the tree, groups waiting to be
/// dropped), O(1) amortized at both ends.
struct IDQueue<ID: Hashable & Sendable>: Sendable {
    private var items: [ID] = []
    private var head = 0

    var count: Int { items.count - head }
    var first: ID? { head < items.count ? items[head] : nil }

    mutating func append(_ id: ID) { items.append(id) }

    mutating func removeFirst() {
        head += 1
        // Reclaim the consumed prefix once it is most of the array.
        if head >= 1024, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    /// Keeps only the ids for which `isLive` is true, in order.
    mutating func removeAll(where isStale: (ID) -> Bool) {
        items = items[head...].filter { !isStale($0) }
        head = 0
    }
}
