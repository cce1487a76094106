import GroupEvents

extension GroupCore {
    private enum Race: Sendable {
        case value(Success)
        /// The operation threw; returned, not thrown, so that SafeGroup's code throws nothing
        /// the throw hook would take for the error's first throw.
        case failed(any Error)
        case deadline
        case timerCancelled
    }

    /// Runs a child with a deadline and records its end; returns whether to cancel the siblings.
    ///
    /// At the deadline the operation is cancelled (and the policy decides then whether the
    /// siblings are to be cancelled), and the child waits for it to end. The timeout fault is
    /// recorded when it ends, with the stack of what it threw then (a cancelled `Task.sleep` or
    /// client call throws where the child was waiting); if it returns instead, the fault says so
    /// and has no stack. If it is still running `slowCancelThreshold` after the deadline, it is
    /// reported slow to cancel then, while it runs.
    @usableFromInline
    func runWithTimeout(_ timeout: Duration, _ child: ChildRunner<Success>, startedAt: MonotonicTime) async -> Bool {
        let task = child.task
        let outcome = await withTaskCancellationHandler {
            await race(timeout, child, startedAt: startedAt)
        } onCancel: {
            childCancelled(task)
        }
        // Ended only here, out of the cancellation handler's scope, so that a cancellation
        // arriving now cannot mark an ended child as still running.
        switch outcome {
        case .value(let value):
            if Success.self != Void.self { recordValue(value, task: task, name: child.name) }
            childReturned(child, startedAt: startedAt)
            return false
        case .failed(let error):
            return childFailed(child, error: error, startedAt: startedAt)
        case .timedOut(let pending, let cancelSiblings):
            finish(pending, task: task, status: .timedOut, startedAt: startedAt, wasCancelled: Task.isCancelled)
            return cancelSiblings
        }
    }

    private static func sleepUntilDeadline(_ timeout: Duration) async -> Race {
        do { try await Task.sleep(for: timeout) } catch { return .timerCancelled }
        return .deadline
    }

    private enum TimedOutcome: Sendable {
        case value(Success)
        case failed(any Error)
        /// The operation ran past its deadline and has ended: its fault, to finish, and what the
        /// policy said at the deadline.
        case timedOut(FaultFactory.Pending, cancelSiblings: Bool)
    }

    /// Runs the operation in a task of its own, so that what it threw can be looked up there:
    /// a typed throw is found by the task it happened on.
    private static func operationTask(_ operation: @escaping @Sendable () async throws -> Success) async -> Race {
        do {
            return .value(try await operation())
        } catch {
            ThrowSites.pin(error)
            return .failed(error)
        }
    }

    private func race(_ timeout: Duration, _ child: ChildRunner<Success>, startedAt: MonotonicTime) async -> TimedOutcome {
        let task = child.task
        let operation = child.operation
        return await withTaskGroup(of: Race.self) { race in
            if emits {
                // The operation runs in a task of its own here: a crash handler must know it too.
                race.addTask {
                    let tracking = ChildTracking.enter(task: task, group: self.id)
                    defer { ChildTracking.leave(tracking) }
                    return await Self.operationTask(operation)
                }
            } else {
                race.addTask { await Self.operationTask(operation) }
            }
            let timerUnbindsContext = inThrowHookContext
            race.addTask {
                // When the operation wins, the timer's sleep throws a CancellationError that is
                // no child's failure: out of the child's context, the throw hook ignores it.
                if timerUnbindsContext {
                    return await TaskContext.local.withValue(nil) { await Self.sleepUntilDeadline(timeout) }
                }
                return await Self.sleepUntilDeadline(timeout)
            }
            while let first = await race.next() {
                switch first {
                case .value(let value):
                    race.cancelAll()
                    return .value(value)
                case .failed(let error):
                    race.cancelAll()
                    return .failed(error)
                case .timerCancelled:
                    continue  // the child itself was cancelled: wait for the operation's answer
                case .deadline:
                    race.cancelAll()
                    let deadline = MonotonicTime.now()
                    // Decided at the deadline: a sibling's fault after it is not what cancelled the group.
                    let cancelSiblings = policyCancels(.timeout, task: task)
                    // Unstructured: it must sleep while this task's group is cancelled. It is
                    // cancelled as soon as the operation ends.
                    let watch = Task.detached { [self] in
                        do { try await Task.sleep(for: slowCancelThreshold) } catch { return }
                        reportSlow(task, since: deadline)
                    }
                    var ending: (any Error)?
                    var returned = false
                    while let next = await race.next() {
                        switch next {
                        case .value: returned = true
                        case .failed(let error): ending = error
                        case .deadline, .timerCancelled: break
                        }
                    }
                    watch.cancel()
                    // A report already under way lands before the child's end reads it.
                    await watch.value
                    let endedAt = MonotonicTime.now()
                    let note = returned
                        ? "it returned \(Duration.nanoseconds(endedAt.nanoseconds(since: deadline))) after it was cancelled instead of throwing, so there is no stack of where it was"
                        : nil
                    let pending = FaultFactory.timeout(timeout, ending: ending, note: note, task: task, name: child.name, site: child.site,
                                                       group: id, groupName: name, startedAt: startedAt, endedAt: endedAt)
                    return .timedOut(pending, cancelSiblings: cancelSiblings)
                }
            }
            preconditionFailure("SafeGroup: the timeout race ended without the operation's result")
        }
    }
}
