import GroupEvents

extension GroupCore {
    private enum Race: Sendable {
        case value(Success)
        case deadline
        case timerCancelled
    }

    /// Runs a child with a deadline and records its end; returns whether to cancel the siblings.
    ///
    /// At the deadline the operation is cancelled, and the child waits for it to end. The timeout
    /// fault is recorded when it ends, with the stack of what it threw then (a cancelled
    /// `Task.sleep` or client call throws where the child was waiting); if it returns instead,
    /// the fault says so and has no stack. If it is still running `slowCancelThreshold` after
    /// the deadline, it is reported slow to cancel then, while it runs.
    @usableFromInline
    func runWithTimeout(_ timeout: Duration, _ child: ChildRunner<Success>, startedAt: MonotonicTime) async -> Bool {
        let task = child.task
        let outcome: TimedOutcome
        do {
            outcome = try await withTaskCancellationHandler {
                try await race(timeout, child, startedAt: startedAt)
            } onCancel: {
                childCancelled(task)
            }
        } catch {
            return childFailed(child, error: error, startedAt: startedAt)
        }
        // Ended only here, out of the cancellation handler's scope, so that a cancellation
        // arriving now cannot mark an ended child as still running.
        switch outcome {
        case .value(let value):
            if Success.self != Void.self { recordValue(value, task: task, name: child.name) }
            childEnded(child, status: .ok, startedAt: startedAt, endedAt: nil)
            return false
        case .timedOut(let pending):
            let cancelSiblings = policyCancels(.timeout, task: task)
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
        /// The operation ran past its deadline and has ended: its fault, to finish.
        case timedOut(FaultFactory.Pending)
    }

    private func race(_ timeout: Duration, _ child: ChildRunner<Success>, startedAt: MonotonicTime) async throws -> TimedOutcome {
        let task = child.task
        let operation = child.operation
        return try await withThrowingTaskGroup(of: Race.self) { race in
            if emits {
                // The operation runs in a task of its own here: a crash handler must know it too.
                race.addTask {
                    let tracking = ChildTracking.enter(task: task, group: self.id)
                    defer { ChildTracking.leave(tracking) }
                    return .value(try await operation())
                }
            } else {
                race.addTask { .value(try await operation()) }
            }
            let timerUnbindsContext = inThrowHookContext
            race.addTask {
                // When the operation wins, the timer's sleep throws a CancellationError that is
                // no child's failure: out of the child's context, the throw hook ignores it.
                if timerUnbindsContext {
                    return await TaskContext.$current.withValue(nil) { await Self.sleepUntilDeadline(timeout) }
                }
                return await Self.sleepUntilDeadline(timeout)
            }
            while let first = try await race.next() {
                switch first {
                case .value(let value):
                    race.cancelAll()
                    return .value(value)
                case .timerCancelled:
                    continue  // the child itself was cancelled: wait for the operation's answer
                case .deadline:
                    race.cancelAll()
                    let deadline = MonotonicTime.now()
                    // Unstructured: it must sleep while this task's group is cancelled. It is
                    // cancelled as soon as the operation ends.
                    let watch = Task.detached { [self] in
                        do { try await Task.sleep(for: slowCancelThreshold) } catch { return }
                        reportSlow(task, since: deadline)
                    }
                    var ending: (any Error)?
                    var returned = false
                    while true {
                        do {
                            guard let next = try await race.next() else { break }
                            if case .value = next { returned = true }
                        } catch {
                            ending = error
                        }
                    }
                    watch.cancel()
                    // A report already under way lands before the child's end reads it.
                    await watch.value
                    let endedAt = MonotonicTime.now()
                    let note = returned
                        ? "it returned \(Duration.nanoseconds(endedAt.nanoseconds(since: deadline))) after it was cancelled instead of throwing, so there is no stack of where it was"
                        : nil
                    return .timedOut(FaultFactory.timeout(timeout, ending: ending, note: note, task: task, name: child.name, site: child.site,
                                                          group: id, groupName: name, startedAt: startedAt, endedAt: endedAt))
                }
            }
            preconditionFailure("SafeGroup: the timeout race ended without the operation's result")
        }
    }
}
