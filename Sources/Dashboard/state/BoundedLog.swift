import DequeModule

/// The newest `capacity` items of a sequence, numbered in arrival order; older ones are
/// evicted and counted. Appending is O(1) (swift-collections' `Deque`) and never grows past
/// `capacity`.
public struct BoundedLog<Element: Sendable>: Sendable {
    public let capacity: Int
    /// Kept items, oldest first.
    private var storage = Deque<Element>()
    /// How many items were appended in all.
    public private(set) var appended = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// How many items are kept.
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    /// How many items were evicted to make room.
    public var evicted: Int { appended - storage.count }
    /// The arrival number of the oldest kept item.
    public var firstNumber: Int { evicted }

    public mutating func append(_ element: Element) {
        if storage.count == capacity { storage.removeFirst() }
        storage.append(element)
        appended += 1
    }

    /// The item with arrival number `number`, if it is still kept.
    public subscript(number number: Int) -> Element? {
        guard number >= firstNumber, number < appended else { return nil }
        return storage[number - firstNumber]
    }

    /// The `offset`-th newest item: 0 is the newest.
    public subscript(newest offset: Int) -> Element {
        self[number: appended - 1 - offset]!
    }

    /// Kept items, newest first.
    public var newestFirst: some Sequence<Element> {
        storage.reversed()
    }
}
