import GroupEvents

/// A child's failure, kept: who failed, where it was spawned, how, and a stack snippet.
///
/// Every thrown error, timeout and cancellation of a child becomes a `Fault`; a group's
/// ``GroupReport`` lists all of them in the order they were recorded.
public struct Fault: Sendable, CustomStringConvertible {
    /// The fault as it travels on the wire and shows in the dashboard.
    public let info: FaultInfo
    /// The original error, when the child threw one (nil for a timeout).
    public let error: (any Error)?

    public init(info: FaultInfo, error: (any Error)?) {
        self.info = info
        self.error = error
    }

    public var task: TaskID { info.task }
    public var taskName: String { info.taskName }
    public var group: GroupID { info.group }
    public var groupName: String { info.groupName }
    /// Where the child was spawned.
    public var site: SourceSite { info.site }
    public var kind: FaultKind { info.kind }
    /// The error's type name, for example `PaymentError` (empty for a timeout).
    public var errorType: String { info.errorType }
    /// The error's description, or what happened.
    public var message: String { info.message }
    public var startedAt: MonotonicTime { info.startedAt }
    public var endedAt: MonotonicTime { info.endedAt }
    /// Innermost first; at most ``CapturedStack/maximumFrames``.
    public var stack: [StackFrame] { info.stack }

    /// One line: kind, task, site, error type and message.
    public var description: String {
        var text = "\(kind.rawValue) in '\(taskName)' (\(task), spawned at \(site))"
        if !errorType.isEmpty { text += ": \(errorType)" }
        if !message.isEmpty { text += (errorType.isEmpty ? ": " : " — ") + message }
        return text
    }
}
