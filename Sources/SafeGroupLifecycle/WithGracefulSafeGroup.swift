import GroupEvents
import SafeGroup
import ServiceLifecycle

/// Runs a long-lived ``SafeGroup`` inside a swift-service-lifecycle service, and drains it on a
/// graceful shutdown.
///
/// On a graceful shutdown the group lets its children finish, for `drainTimeout` at most, then
/// cancels the rest. The report and the `group.closed` event then say
/// `CancellationCause.gracefulShutdown`, and the children cancelled that way end `cancelled`
/// without a fault each: a shutdown the service asked for is not a storm of failures.
///
/// `body` must stop spawning when the shutdown begins: loop over a sequence with
/// `cancelOnGracefulShutdown()`, or check `Task.isShuttingDownGracefully`. If the service group
/// cancels the task instead (a failed service, a second signal), the children are cancelled at
/// once and the report says `parentCancelled`, as for any group.
///
/// ```swift
/// let report = await withGracefulSafeGroup(name: "jobs", limit: 8, drainTimeout: .seconds(10)) { group in
///     for await job in jobs.cancelOnGracefulShutdown() {
///         await group.spawn("job \(job.id)") { try await job.run() }
///     }
/// }
/// ```
///
/// The other parameters are those of `withSafeGroup`.
public func withGracefulSafeGroup<Success: Sendable>(
    of successType: Success.Type = Success.self,
    name: String = "group",
    policy: FailurePolicy = .collectAll,
    limit: Int? = nil,
    timeout: Duration? = nil,
    slowCancelThreshold: Duration = .seconds(5),
    sink: (any EventSink)? = nil,
    drainTimeout: Duration,
    fileID: StaticString = #fileID,
    line: UInt = #line,
    body: @escaping @Sendable (inout SafeGroup<Success>) async -> Void
) async -> GroupReport<Success> {
    precondition(drainTimeout >= .zero, "withGracefulSafeGroup(name: \"\(name)\", drainTimeout: \(drainTimeout)): the drain timeout cannot be negative")
    let reason = CancellationReason()
    return await withTaskGroup(of: GroupReport<Success>?.self) { tasks in
        tasks.addTask {
            await CancellationReason.$current.withValue(reason) {
                await withSafeGroup(of: Success.self, name: name, policy: policy, limit: limit, timeout: timeout,
                                    slowCancelThreshold: slowCancelThreshold, sink: sink,
                                    fileID: fileID, line: line, body: { group in await body(&group) })
            }
        }
        tasks.addTask {
            // Ends by cancellation once the group has closed; then it must not cancel anything.
            do {
                try await gracefulShutdown()
                try await Task.sleep(for: drainTimeout)
            } catch {
                return nil
            }
            reason.cause = .gracefulShutdown
            return nil
        }
        while let next = await tasks.next() {
            if let report = next {
                tasks.cancelAll()
                return report
            }
            // The drain timer ran out: cancel the group's task, which records the reason.
            if reason.cause != nil { tasks.cancelAll() }
        }
        fatalError("unreachable: the group's task always returns a report")
    }
}
