/// The attribute names a ``TracingSink`` sets on its spans: what a tracing backend queries.
///
/// SafeGroup's own under `safegroup.`; the spawn site also under the OpenTelemetry semantic
/// conventions' `code.file.path` and `code.line.number`, and a fault's error under `exception.*`.
public enum SpanAttributeName {
    /// A child's name, as the dashboard shows it (unbounded: an attribute, never the span name).
    public static let taskName = "safegroup.task.name"
    /// A child's process-unique id (`t12` on the wire and the dashboard is 12 here).
    public static let taskID = "safegroup.task.id"
    /// How a child ended: ok, failed, cancelled, timed-out, crashed.
    public static let taskStatus = "safegroup.task.status"
    /// True when a child was reported slow to cancel.
    public static let slowToCancel = "safegroup.task.slow_to_cancel"
    /// The group's name.
    public static let groupName = "safegroup.group.name"
    /// The group's process-unique id.
    public static let groupID = "safegroup.group.id"
    /// The group's failure policy: collect-all or cancel-on-first-fault.
    public static let groupPolicy = "safegroup.group.policy"
    /// The group's concurrency limit, when it has one.
    public static let groupLimit = "safegroup.group.limit"
    /// The child a nested group was opened in.
    public static let parentTaskID = "safegroup.group.parent_task.id"
    /// How the group closed: ok, faulted, cancelled.
    public static let groupOutcome = "safegroup.group.outcome"
    /// How many of the group's children faulted.
    public static let groupFaultCount = "safegroup.group.fault_count"
    /// How many children the group spawned.
    public static let groupChildCount = "safegroup.group.child_count"
    /// Why a group was cancelled (on a `safegroup.group.cancelled` event).
    public static let cancellationCause = "safegroup.cancellation.cause"
    /// The fault's kind: error, timeout, cancelled, crash (on the `exception` event).
    public static let faultKind = "safegroup.fault.kind"
    /// Where the fault's stack was taken: throw, error, worker, none (on the `exception` event).
    public static let stackOrigin = "safegroup.fault.stack_origin"
    /// The signal that crashed an isolated child's worker (on the `exception` event).
    public static let signal = "safegroup.fault.signal"
    /// How long after cancellation a child was still running (on a slow-to-cancel event).
    public static let sinceCancelNanoseconds = "safegroup.since_cancel_ns"
    /// The isolated job a worker's span runs.
    public static let jobName = "safegroup.job.name"
    /// The spawn site's file (`#fileID`: `Module/File.swift`).
    public static let codeFilePath = "code.file.path"
    /// The spawn site's line.
    public static let codeLineNumber = "code.line.number"
    /// The process id of the dashboard that cancelled a task or group (a viewer action).
    public static let viewerPID = "safegroup.viewer.pid"
}

/// The names of the span events a ``TracingSink`` adds.
public enum SpanEventName {
    /// A child's timeout fired (its span also has the error status and the exception).
    public static let timeout = "safegroup.timeout"
    /// A child was cancelled (by its group's policy, its parent, or a shutdown).
    public static let cancelled = "safegroup.cancelled"
    /// A child was still running long after cancellation reached it.
    public static let slowToCancel = "safegroup.slow_to_cancel"
    /// The group was cancelled; `safegroup.cancellation.cause` says why.
    public static let groupCancelled = "safegroup.group.cancelled"
    /// A viewer (`safegroup attach`, `x`) cancelled this task or group; `safegroup.viewer.pid` says which.
    public static let viewerCancelled = "safegroup.viewer.cancelled"
}
