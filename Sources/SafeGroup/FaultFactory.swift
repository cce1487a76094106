import GroupEvents

/// Builds faults, with their stacks. Off the path of children that succeed.
enum FaultFactory {
    static func fault(_ kind: FaultKind, error: any Error, task: TaskID, name: String, site: SourceSite,
                      group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Fault {
        if let described = (error as? any FaultDescribingError)?.faultDescription {
            let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site,
                                 kind: kind,
                                 errorType: described.errorType, message: described.message,
                                 startedAt: startedAt, endedAt: endedAt,
                                 stackOrigin: described.stack == nil ? "recorded" : described.stackOrigin,
                                 stack: described.stack ?? CapturedStack.forFault().frames, signal: described.signal)
            return Fault(info: info, error: error)
        }
        let stack: [StackFrame]
        let origin: String
        if let carrying = error as? any StackCarryingError {
            stack = carrying.creationStack.frames
            origin = "error"
        } else {
            stack = CapturedStack.forFault().frames
            origin = "recorded"
        }
        let reported = (error as? any ErrorWrapper)?.wrappedError ?? error
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: kind,
                             errorType: String(reflecting: type(of: reported)), message: String(describing: reported),
                             startedAt: startedAt, endedAt: endedAt, stackOrigin: origin, stack: stack)
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
