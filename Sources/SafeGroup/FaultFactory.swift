import GroupEvents

/// Builds faults, with the stack of where each happened. Off the path of children that succeed.
///
/// Which stack a fault shows, first rule that applies (docs/DESIGN-NOTES.md, "Where a fault happened"):
/// 1. an error that describes its own fault (``FaultDescribingError``: a crashed worker) brings its stack;
/// 2. an error that carries the stack of its creation (``StackCarryingError``, ``TracedError``) shows that;
/// 3. a nested group's ``GroupFaults`` shows the stack of its first fault that has one: where it happened;
/// 4. an error whose `throw` inside the child was recorded (``ThrowSites``) shows the throw's stack;
/// 5. otherwise none: a stack taken where the group caught the error would show only SafeGroup.
enum FaultFactory {
    static func fault(_ kind: FaultKind, error: any Error, task: TaskID, name: String, site: SourceSite,
                      group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Fault {
        let errorType: String, message: String, signal: Int32?, located: (origin: String, stack: [StackFrame])
        if let described = (error as? any FaultDescribingError)?.faultDescription {
            errorType = described.errorType
            message = described.message
            signal = described.signal
            // Its failure happened elsewhere (another process): a stack from here would show only the wait.
            located = described.stack.map { (described.stackOrigin, $0) } ?? (StackOrigin.none, [])
        } else {
            let reported = (error as? any ErrorWrapper)?.wrappedError ?? error
            errorType = String(reflecting: type(of: reported))
            message = String(describing: reported)
            signal = nil
            located = location(error, task: task)
        }
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: kind,
                             errorType: errorType, message: message, startedAt: startedAt, endedAt: endedAt,
                             stackOrigin: located.origin, stack: located.stack, signal: signal)
        return Fault(info: info, error: error)
    }

    /// A child ran past its deadline. `ending` is what its operation threw once cancelled (nil
    /// when it returned, or has not ended yet): where that was thrown is where the child was waiting.
    static func timeout(_ timeout: Duration, ending: (any Error)?, note: String?, task: TaskID, name: String, site: SourceSite,
                        group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Fault {
        let located: (origin: String, stack: [StackFrame]) = ending.map { location($0, task: task) } ?? (StackOrigin.none, [])
        var message = "timed out after \(timeout)"
        if let note { message += "; \(note)" }
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: .timeout,
                             errorType: "", message: message, startedAt: startedAt, endedAt: endedAt,
                             stackOrigin: located.origin, stack: located.stack)
        return Fault(info: info, error: nil)
    }

    /// Where `error` happened: rules 2 to 5 above.
    private static func location(_ error: any Error, task: TaskID) -> (origin: String, stack: [StackFrame]) {
        if let carrying = error as? any StackCarryingError {
            let frames = carrying.creationStack.frames
            if !frames.isEmpty { return (StackOrigin.error, frames) }
        }
        if let nested = error as? GroupFaults, let first = nested.faults.first(where: { !$0.stack.isEmpty }) {
            return (first.info.stackOrigin, first.stack)
        }
        if let thrown = ThrowSites.stack(of: error, child: task) {
            let frames = thrown.frames
            if !frames.isEmpty { return (StackOrigin.throw, frames) }
        }
        return (StackOrigin.none, [])
    }
}

/// The values of `FaultInfo.stackOrigin` that SafeGroup writes (docs/PROTOCOL.md).
enum StackOrigin {
    /// Where the error was first thrown inside the child (for a timeout or a cancellation: where
    /// the child was waiting when it was cancelled).
    static let `throw` = "throw"
    /// Where the error was created (``StackCarryingError``).
    static let error = "error"
    /// No stack: the error was never thrown inside the child by a `throw` (a continuation resumed
    /// with it, say), or the child returned late after its timeout.
    static let none = "none"
}
