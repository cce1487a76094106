import GroupEvents

/// The service's last gasp: the signal it died of, and the child that was running, sanitized.
public struct CrashRecord: Hashable, Sendable {
    public var signal: Int32
    public var signalName: String
    public var reason: String
    public var task: TaskID?
    /// The task's name, when the stream named it before the crash.
    public var taskName: String?
    public var group: GroupID?
    public var time: MonotonicTime

    init(_ crash: ProcessCrashed, taskName: String?, at time: MonotonicTime) {
        signal = crash.signal
        signalName = TextSanitizer.sanitize(crash.signalName)
        reason = TextSanitizer.sanitize(crash.reason)
        task = crash.task
        self.taskName = taskName
        group = crash.group
        self.time = time
    }

    /// One line for the header: `SIGILL in t7 'charge-card': Fatal error: …`.
    public var summary: String {
        var text = signalName.isEmpty ? "signal \(signal)" : signalName
        if let task {
            text += " in \(task)" + (taskName.map { " '\($0)'" } ?? "")
        }
        return reason.isEmpty ? text : "\(text): \(reason)"
    }
}
