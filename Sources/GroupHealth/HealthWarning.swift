import GroupEvents

/// One warning: what it is about, since when, and why, in a line.
public struct HealthWarning: Hashable, Sendable {
    /// What a warning is about.
    public enum Subject: Hashable, Sendable, Comparable {
        case task(TaskID)
        case group(GroupID)
        /// A spawn site, as `file:line` (sanitized).
        case site(String)

        public static func < (a: Self, b: Self) -> Bool {
            switch (a, b) {
            case (.task(let x), .task(let y)): x < y
            case (.group(let x), .group(let y)): x < y
            case (.site(let x), .site(let y)): x < y
            case (.task, _): true
            case (.group, .site): true
            default: false
            }
        }
    }

    public let kind: WarningKind
    public let subject: Subject
    /// The spawn site it concerns (`file:line`, sanitized): the task's, the waiting children's, or the site itself.
    public var site: String
    /// When the condition started to hold (stream time); the warning fired a hold later.
    public var since: MonotonicTime
    /// When it fired.
    public var firedAt: MonotonicTime
    /// One line: the measure that tripped the rule, and its threshold.
    public var detail: String { measure.text }
    /// What `detail` says, kept as measures: the line is made when it is read (a frame reads
    /// the few it shows), not at every evaluation for every active warning.
    var measure: HealthModel.Detail

    /// `stuck t42 at Checkout.swift:57: running 75 s (site p99 1.2 s)`
    public var summary: String {
        let what = switch subject {
        case .task(let id): id.description
        case .group(let id): id.description
        case .site: "site"
        }
        return "\(kind.rawValue) \(what) at \(site): \(detail)"
    }
}
