import GroupEvents

/// What a group's scope leaves behind once every child has ended.
public struct GroupReport<Success: Sendable>: Sendable {
    /// One child's returned value.
    public struct ChildResult: Sendable {
        public let task: TaskID
        public let name: String
        public let value: Success
    }

    public let group: GroupID
    public let name: String
    /// Every fault, in the order its child failed.
    public let faults: [Fault]
    /// The values of the children that returned, in the order they ended.
    public let results: [ChildResult]
    /// How many children were spawned.
    public let childCount: Int
    /// Why the children were cancelled, if they were.
    public let cancellation: CancellationCause?
    /// Children that were still running long after cancellation reached them.
    public let slowToCancel: [TaskID]
    /// Where each child's value is in ``results``, so that ``value(of:)`` takes no scan.
    private let resultPositions: [TaskID: Int]

    init(group: GroupID, name: String, faults: [Fault], results: [ChildResult], childCount: Int,
         cancellation: CancellationCause?, slowToCancel: [TaskID]) {
        self.group = group
        self.name = name
        self.faults = faults
        self.results = results
        self.childCount = childCount
        self.cancellation = cancellation
        self.slowToCancel = slowToCancel
        var positions: [TaskID: Int] = [:]
        positions.reserveCapacity(results.count)
        for (position, result) in results.enumerated() where positions[result.task] == nil {
            positions[result.task] = position
        }
        self.resultPositions = positions
    }

    /// `faulted` when any child faulted other than by cancellation, else `cancelled`
    /// when the group was cancelled, else `ok`.
    public var outcome: GroupClosed.Outcome {
        if faults.contains(where: { $0.kind != .cancelled }) { return .faulted }
        if cancellation != nil || !faults.isEmpty { return .cancelled }
        return .ok
    }

    /// The value the child `task` returned, if it returned one; a lookup, not a scan.
    public func value(of task: TaskID) -> Success? {
        resultPositions[task].map { results[$0].value }
    }

    /// Throws ``GroupFaults`` listing every fault, if there is any.
    public func throwIfFaulted() throws(GroupFaults) {
        if !faults.isEmpty { throw GroupFaults(group: group, groupName: name, faults: faults) }
    }
}
