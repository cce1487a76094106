import GroupEvents

/// An error that says which fault it stands for: for failures that happened out of this
/// process, where the error value is all that comes back.
///
/// When a child throws one, its fault takes the kind, error type, message, signal and stack
/// from ``faultDescription`` instead of from the error's own type and description. GroupIsolation
/// throws such errors for a job whose worker process crashed (a ``FaultKind/crash`` fault with
/// the worker's stack) and for an error a job threw in its worker (the remote type's name).
///
/// ```swift
/// struct WorkerCrashed: FaultDescribingError {
///     let faultDescription: FaultDescription
/// }
/// throw WorkerCrashed(faultDescription: .crash(signal: 4, reason: "Index out of range", stack: frames))
/// ```
public protocol FaultDescribingError: Error {
    /// The fault this error stands for.
    var faultDescription: FaultDescription { get }
}

/// What a ``FaultDescribingError`` says its fault is.
public struct FaultDescription: Hashable, Sendable {
    /// ``FaultKind/crash`` or ``FaultKind/error``.
    public let kind: FaultKind
    /// The type name the fault reports (for a crash: empty).
    public let errorType: String
    /// What happened.
    public let message: String
    /// The signal that ended the process the failure happened in (crashes only).
    public let signal: Int32?
    /// The stack to report, or nil for none.
    public let stack: [StackFrame]?
    /// Where ``stack`` comes from, for example `"worker"` (see `FaultInfo.stackOrigin`).
    public let stackOrigin: StackOrigin

    /// A process crashed: a ``FaultKind/crash`` fault with its signal, the runtime's reason and its stack.
    ///
    /// - Parameters:
    ///   - signal: The signal that ended the process, when it was a signal.
    ///   - reason: What the runtime said, for example `Unexpectedly found nil while unwrapping an Optional value`.
    ///   - stack: The crashed thread's frames, innermost first (capped at ``CapturedStack/maximumFrames``).
    ///   - stackOrigin: Where the stack comes from; `"worker"` for a worker process's backtrace.
    public static func crash(signal: Int32?, reason: String, stack: [StackFrame], stackOrigin: StackOrigin = .worker) -> FaultDescription {
        FaultDescription(kind: .crash, errorType: "", message: reason, signal: signal,
                         stack: Array(stack.prefix(CapturedStack.maximumFrames)), stackOrigin: stackOrigin)
    }

    /// An error thrown elsewhere: an ``FaultKind/error`` fault with that error's type name and description.
    ///
    /// - Parameters:
    ///   - type: The error's type name, for example `Parser.SyntaxError`.
    ///   - message: The error's description.
    ///   - stack: Its stack when one came with it (with `stackOrigin`), else nil for none.
    public static func error(type: String, message: String, stack: [StackFrame]? = nil,
                             stackOrigin: StackOrigin = .error) -> FaultDescription {
        FaultDescription(kind: .error, errorType: type, message: message, signal: nil,
                         stack: stack.map { Array($0.prefix(CapturedStack.maximumFrames)) },
                         stackOrigin: stack == nil ? .none : stackOrigin)
    }

    private init(kind: FaultKind, errorType: String, message: String, signal: Int32?, stack: [StackFrame]?, stackOrigin: StackOrigin) {
        self.kind = kind
        self.errorType = errorType
        self.message = message
        self.signal = signal
        self.stack = stack
        self.stackOrigin = stackOrigin
    }
}
