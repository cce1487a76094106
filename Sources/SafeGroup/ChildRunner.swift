import GroupEvents

/// Runs one child: its operation, its timeout, and what it leaves in the group.
struct ChildRunner<Success: Sendable>: Sendable {
    let core: GroupCore<Success>
    let task: TaskID
    let name: String
    let site: SourceSite
    let timeout: Duration?
    let spawnedAt: MonotonicTime

    /// Runs the operation; returns true when the group's policy says to cancel the siblings.
    func run(_ operation: @escaping @Sendable () async throws -> Success) async -> Bool {
        let startedAt = MonotonicTime.now()
        if let sink = core.sink {
            sink.emit(Event(time: startedAt, .taskStarted(TaskStarted(task: task, group: core.id,
                                                                      waitedNanoseconds: startedAt.nanoseconds(since: spawnedAt)))))
            let context = TaskContext(task: task, taskName: name, group: core.id, sink: sink)
            return await TaskContext.$current.withValue(context) {
                finish(startedAt: startedAt, outcome: await execute(operation))
            }
        }
        return finish(startedAt: startedAt, outcome: await execute(operation))
    }

    private enum Race: Sendable {
        case value(Success)
        case deadline
        case timerCancelled
    }

    private enum Outcome {
        case value(Success)
        case error(any Error)
        /// The timeout fault is already recorded; `cancelSiblings` is what the policy said then.
        case timedOut(cancelSiblings: Bool)
    }

    private func execute(_ operation: @escaping @Sendable () async throws -> Success) async -> Outcome {
        let core = self.core
        let task = self.task
        return await withTaskCancellationHandler {
            do {
                if let timeout {
                    return try await runWithTimeout(timeout, operation)
                }
                return .value(try await operation())
            } catch {
                return .error(error)
            }
        } onCancel: {
            core.childCancelled(task)
        }
    }

    /// Races the operation against its deadline. At the deadline the timeout fault is recorded
    /// at once, the operation is cancelled, and the child waits for it to end.
    private func runWithTimeout(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Success) async throws -> Outcome {
        return try await withThrowingTaskGroup(of: Race.self) { race in
            race.addTask { .value(try await operation()) }
            race.addTask {
                do { try await Task.sleep(for: timeout) } catch { return .timerCancelled }
                return .deadline
            }
            while let first = try await race.next() {
                switch first {
                case .value(let value):
                    race.cancelAll()
                    return .value(value)
                case .timerCancelled:
                    continue  // the child itself was cancelled: wait for the operation's answer
                case .deadline:
                    let cancelledAt = MonotonicTime.now()
                    let cancelSiblings = core.recordFault(timeoutFault(timeout, at: cancelledAt))
                    race.cancelAll()
                    // A timer that must run while this task's group is cancelled, so unstructured;
                    // it is cancelled as soon as the operation ends.
                    let watch = Task.detached { [core, task] in
                        do { try await Task.sleep(for: core.slowCancelThreshold) } catch { return }
                        core.reportSlow(task, since: cancelledAt)
                    }
                    while (try? await race.next()) != nil {}
                    watch.cancel()
                    return .timedOut(cancelSiblings: cancelSiblings)
                }
            }
            preconditionFailure("SafeGroup: the timeout race ended without the operation's result")
        }
    }

    /// Records the child's end; returns true when the group's policy says to cancel the siblings.
    private func finish(startedAt: MonotonicTime, outcome: Outcome) -> Bool {
        let status: TaskStatus
        var cancelSiblings = false
        var endedAt: MonotonicTime?
        switch outcome {
        case .value(let value):
            core.recordValue(value, task: task, name: name)
            status = .ok
        case .error(let error):
            let now = MonotonicTime.now()
            endedAt = now
            let kind: FaultKind = (error is CancellationError && Task.isCancelled) ? .cancelled : .error
            cancelSiblings = core.recordFault(fault(kind, error: error, startedAt: startedAt, endedAt: now))
            status = kind == .cancelled ? .cancelled : .failed
        case .timedOut(let policySaid):
            cancelSiblings = policySaid
            status = .timedOut
        }
        let wasSlow = (Task.isCancelled || status == .timedOut) ? core.childEnded(task, wasCancelled: Task.isCancelled) : false
        core.releaseSlot()
        if let sink = core.sink {
            let end = endedAt ?? .now()
            sink.emit(Event(time: end, .taskEnded(TaskEnded(task: task, group: core.id, status: status,
                                                            durationNanoseconds: end.nanoseconds(since: startedAt),
                                                            wasSlowToCancel: wasSlow))))
        }
        return cancelSiblings
    }

    private func fault(_ kind: FaultKind, error: any Error, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Fault {
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
        let info = FaultInfo(task: task, taskName: name, group: core.id, groupName: core.name, site: site, kind: kind,
                             errorType: String(reflecting: type(of: reported)), message: String(describing: reported),
                             startedAt: startedAt, endedAt: endedAt, stackOrigin: origin, stack: stack)
        return Fault(info: info, error: error)
    }

    private func timeoutFault(_ timeout: Duration, at time: MonotonicTime) -> Fault {
        let startedAt = MonotonicTime(nanoseconds: time.rawValue &- UInt64(clamping: timeout.nanoseconds))
        let info = FaultInfo(task: task, taskName: name, group: core.id, groupName: core.name, site: site, kind: .timeout,
                             errorType: "", message: "timed out after \(timeout)", startedAt: startedAt, endedAt: time,
                             stackOrigin: "recorded", stack: CapturedStack.forFault().frames)
        return Fault(info: info, error: nil)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
