import GroupEvents

/// Every fault of a group, as one error.
///
/// Thrown by ``GroupReport/throwIfFaulted()``, so a caller that wants plain `try` semantics
/// still sees all the faults, not just the first.
public struct GroupFaults: Error, CustomStringConvertible {
    public let group: GroupID
    public let groupName: String
    /// All the faults, in the order their children failed.
    public let faults: [Fault]

    public var description: String {
        var text = "group '\(groupName)' (\(group)) had \(faults.count) fault\(faults.count == 1 ? "" : "s"):"
        for (index, fault) in faults.enumerated() {
            text += "\n  \(index + 1). \(fault)"
        }
        return text
    }
}
