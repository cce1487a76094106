import GroupEvents

extension GroupCore {
    private enum Race: Sendable {
        case value(Success)
        case deadline
        case timerCancelled
    }

    /// Runs a child with a deadline and records its end; returns whether to cancel the siblings.
    ///
    /// At the deadline the timeout fault is recorded at once, the operation is cancelled, and
    /// the child waits for it to end; if it is still running `slowCancelThreshold` later, it is
    /// reported slow to cancel.
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
        case .timedOut(let cancelSiblings):
            childEnded(child, status: .timedOut, startedAt: startedAt, endedAt: nil)
            return cancelSiblings
        }
    }

    private enum TimedOutcome: Sendable {
        case value(Success)
        /// The timeout fault is recorded; `cancelSiblings` is what the policy said then.
        case timedOut(cancelSiblings: Bool)
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
                    let deadline = MonotonicTime.now()
                    let fault = FaultFactory.timeout(timeout, task: task, name: child.name, site: child.site, group: id,
                                                     groupName: name, startedAt: startedAt, endedAt: deadline)
                    let cancelSiblings = recordFault(fault)
                    race.cancelAll()
                    // Unstructured: it must sleep while this task's group is cancelled.
                    // It is cancelled as soon as the operation ends.
                    let watch = Task.detached { [self] in
                        do { try await Task.sleep(for: slowCancelThreshold) } catch { return }
                        reportSlow(task, since: deadline)
                    }
                    while (try? await race.next()) != nil {}
                    watch.cancel()
                    return .timedOut(cancelSiblings: cancelSiblings)
                }
            }
            preconditionFailure("SafeGroup: the timeout race ended without the operation's result")
        }
    }
}
