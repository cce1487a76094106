import GroupEvents

/// Builds faults, with their stacks. Off the path of children that succeed.
enum FaultFactory {
    static func fault(_ kind: FaultKind, error: any Error, task: TaskID, name: String, site: SourceSite,
                      group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Fault {
        let errorType: String, message: String, signal: Int32?, origin: String, stack: [StackFrame]
        if let described = (error as? any FaultDescribingError)?.faultDescription {
            errorType = described.errorType
            message = described.message
            signal = described.signal
            (origin, stack) = described.stack.map { (described.stackOrigin, $0) } ?? ("recorded", CapturedStack.forFault().frames)
        } else {
            let reported = (error as? any ErrorWrapper)?.wrappedError ?? error
            errorType = String(reflecting: type(of: reported))
            message = String(describing: reported)
            signal = nil
            if let carrying = error as? any StackCarryingError {
                (origin, stack) = ("error", carrying.creationStack.frames)
            } else {
                (origin, stack) = ("recorded", CapturedStack.forFault().frames)
            }
        }
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: kind,
                             errorType: errorType, message: message, startedAt: startedAt, endedAt: endedAt,
                             stackOrigin: origin, stack: stack, signal: signal)
        return Fault(info: info, error: error)
    }

    static func timeout(_ timeout: Duration, task: TaskID, name: String, site: SourceSite,
                        group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Fault {
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: .timeout,
                             errorType: "", message: "timed out after \(timeout)", startedAt: startedAt, endedAt: endedAt,
                             stackOrigin: "recorded", stack: CapturedStack.forFault().frames)
        return Fault(info: info, error: nil)
    }
}
