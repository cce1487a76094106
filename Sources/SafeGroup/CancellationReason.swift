import GroupEvents
import Synchronization

/// Says why the task that owns a group is about to be cancelled, for the groups opened in it.
///
/// A group cancelled by its owning task records ``CancellationCause/parentCancelled``: the group
/// cannot tell why the task was cancelled. Code that cancels a task on purpose (an integration
/// draining a group on a graceful shutdown) binds a reason around the groups it runs, sets the
/// cause, then cancels the task: those groups, and the groups nested in their children, record
/// that cause instead. With no cause set, cancellation reads as a parent's, as before.
///
/// ```swift
/// let reason = CancellationReason()
/// let task = Task {
///     await CancellationReason.$current.withValue(reason) {
///         await withSafeGroup(name: "jobs") { group in ... }
///     }
/// }
/// reason.cause = .gracefulShutdown
/// task.cancel()  // the group's report says .gracefulShutdown
/// ```
///
/// A group reads the reason once, when it opens; its children never touch it.
public final class CancellationReason: Sendable {
    /// The reason bound to the current task, read by the groups it opens.
    @TaskLocal public static var current: CancellationReason?

    private let stored = Mutex<CancellationCause?>(nil)

    public init() {}

    /// The cause the groups record when their owning task is cancelled; nil for a parent's.
    /// Set it before cancelling: the first cause a group notes is the one it keeps.
    public var cause: CancellationCause? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
