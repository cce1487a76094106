import GroupEvents
import SafeGroup
import SystemCalls

/// A job's worker process died while it ran the job: a trap, a signal, or an exit.
///
/// In a ``SafeGroup`` child it becomes a fault of kind `crash`, with ``signal``, ``reason`` and
/// the worker's ``stack`` (stack origin `worker`), and the child ends `crashed`.
public struct IsolatedJobCrash: FaultDescribingError, CustomStringConvertible {
    /// The job's name.
    public let job: String
    /// The worker's process id.
    public let pid: Int32
    /// The signal that ended the worker, or nil when it exited.
    public let signal: Int32?
    /// The exit status, when the worker exited instead of being signalled.
    public let exitStatus: Int32?
    /// What went wrong, as the Swift runtime or the backtracer said it, for example
    /// `Unexpectedly found nil while unwrapping an Optional value`.
    public let reason: String
    /// The crashed thread's frames, innermost first (empty when no backtrace came).
    public let stack: [StackFrame]
    /// The worker's last lines of output before it died (a bounded tail, for diagnosis).
    public let outputTail: [String]

    public var faultDescription: FaultDescription {
        .crash(signal: signal, reason: reason, stack: stack)
    }

    public var description: String {
        let how = signal.map { "signal \($0) (\(Posix.signalName($0)))" } ?? "exit status \(exitStatus ?? 0)"
        return "job '\(job)' crashed its worker (pid \(pid), \(how)): \(reason)"
    }
}

/// An error a job threw in its worker, brought back by type name and description.
///
/// The error value itself stays in the worker (it need not be `Codable`). In a ``SafeGroup``
/// child it becomes a fault of kind `error` whose error type is the remote type's name.
public struct IsolatedJobError: FaultDescribingError, CustomStringConvertible {
    /// The job's name.
    public let job: String
    /// The thrown error's type, as `String(reflecting:)` named it in the worker.
    public let errorType: String
    /// The thrown error's description.
    public let message: String
    /// Where the error was created, when it carried its stack (a `StackCarryingError`).
    public let stack: [StackFrame]

    public var faultDescription: FaultDescription {
        .error(type: errorType, message: message, stack: stack.isEmpty ? nil : stack, stackOrigin: .error)
    }

    public var description: String { "\(errorType): \(message)" }
}
