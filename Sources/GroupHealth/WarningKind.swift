/// The kinds of warning that ``HealthModel`` raises, each from what the event stream shows.
///
/// SafeGroup sees spawns, starts, ends, faults and slow cancellations, not the polls of a
/// task: these rules cannot tell a task that never yields from one that waits on I/O, nor see
/// lost wakers or self-wakes. docs/HEALTH.md says what each rule can and cannot catch.
public enum WarningKind: String, CaseIterable, Hashable, Sendable, Comparable {
    /// A child running much longer than its site's p99, or than an absolute threshold.
    case stuck
    /// Children waiting longer than a threshold for a slot under their group's `limit:`.
    case queueing
    /// A site whose rate of faults and timeouts over the last minute jumped above its baseline.
    case faultRate = "fault-rate"
    /// A long-lived group whose running children keep growing.
    case growing
    /// A child still running long after cancellation reached it (SafeGroup reports it).
    case slowCancel = "slow-cancel"

    /// The names `--warn` and `--allow` take, in order.
    public static var names: [String] { allCases.map(\.rawValue) }

    public static func < (a: Self, b: Self) -> Bool { a.order < b.order }

    /// Its place among the kinds, in the order they are declared (and listed).
    var order: Int {
        switch self {
        case .stuck: 0
        case .queueing: 1
        case .faultRate: 2
        case .growing: 3
        case .slowCancel: 4
        }
    }

    /// The kinds named in a comma-separated list (`stuck,queueing`; `all` for every kind), or
    /// a one-line error naming the unknown word and the known ones.
    public static func parse(_ list: String) -> Result<Set<WarningKind>, WarningListError> {
        var kinds = Set<WarningKind>()
        for word in list.split(separator: ",").map({ $0.trimmingCharacters(in: " ") }) where !word.isEmpty {
            if word == "all" {
                kinds.formUnion(allCases)
            } else if let kind = WarningKind(rawValue: word) {
                kinds.insert(kind)
            } else {
                return .failure(WarningListError(word: word))
            }
        }
        return .success(kinds)
    }
}

/// A word that names no warning kind.
public struct WarningListError: Error, Hashable, Sendable, CustomStringConvertible {
    public let word: String
    public var description: String {
        "unknown warning '\(word)' (known: \(WarningKind.names.joined(separator: ", ")), all)"
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
