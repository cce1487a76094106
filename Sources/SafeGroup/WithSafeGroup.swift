import GroupEvents

/// Runs `body` with a ``SafeGroup`` and returns when every child has ended, with all their faults.
///
/// Children never throw into the group: each failure (a thrown error, a timeout, a
/// cancellation) becomes a ``Fault``, and the returned ``GroupReport`` lists them all, in order.
/// The scope returns only after every child has ended, including children that ignore
/// cancellation.
///
/// ```swift
/// let report = await withSafeGroup(of: Int.self, name: "prices", policy: .collectAll, limit: 8) { group in
///     for item in items {
///         await group.spawn("price \(item.sku)", timeout: .seconds(2)) {
///             try await prices.price(of: item.sku)
///         }
///     }
/// }
/// for fault in report.faults {
///     print("\(fault.kind) in \(fault.taskName) at \(fault.site): \(fault.message)")
/// }
/// try report.throwIfFaulted()  // every fault as one error, not just the first
/// ```
/// (This example is compiled and run by `ReadmeExampleTests`.)
///
/// - Parameters:
///   - of: The type children return.
///   - name: What the dashboard and faults call the group.
///   - policy: ``FailurePolicy/collectAll`` lets every child run; ``FailurePolicy/cancelOnFirstFault``
///     cancels the siblings on the first fault and records which fault it was.
///   - limit: At most this many children run at once (at least 1); `spawn` waits for a slot.
///   - timeout: The default timeout of every child (positive), or nil for none.
///   - slowCancelThreshold: A child still running this long after cancellation reached it is
///     reported (a ``SlowToCancel`` event and ``GroupReport/slowToCancel``).
///   - sink: Where events go; default: the sink of the group this one is nested in, else
///     ``EventSystem/sink``. With none, no event is built.
///   - body: Spawns the children. It runs in the caller's isolation.
public func withSafeGroup<Success: Sendable>(
    of successType: Success.Type = Success.self,
    name: String = "group",
    policy: FailurePolicy = .collectAll,
    limit: Int? = nil,
    timeout: Duration? = nil,
    slowCancelThreshold: Duration = .seconds(5),
    sink: (any EventSink)? = nil,
    fileID: StaticString = #fileID,
    line: UInt = #line,
    isolation: isolated (any Actor)? = #isolation,
    body: (inout SafeGroup<Success>) async -> Void
) async -> GroupReport<Success> {
    if let limit {
        precondition(limit >= 1, "withSafeGroup(name: \"\(name)\", limit: \(limit)): a limit must be at least 1 (pass nil for no limit)")
    }
    if let timeout {
        precondition(timeout > .zero, "withSafeGroup(name: \"\(name)\", timeout: \(timeout)): a timeout must be positive (pass nil for none)")
    }
    precondition(slowCancelThreshold > .zero, "withSafeGroup(name: \"\(name)\", slowCancelThreshold: \(slowCancelThreshold)): the threshold must be positive")

    StackImages.warmUpOnce()
    ThrowSites.installOnce()
    let parent = TaskContext.current
    let resolvedSink = sink ?? parent?.group.sink ?? EventSystem.sink
    // Children of a group with a sink bind their own context; those of a group without one
    // inherit this group-wide one, which costs them nothing, so the throw hook sees them.
    let sharedContext = resolvedSink == nil && ThrowSites.isActive
    let core = GroupCore<Success>(id: IDs.group(), name: name, policy: policy, limit: limit, defaultTimeout: timeout,
                                  slowCancelThreshold: slowCancelThreshold, sink: resolvedSink,
                                  inThrowHookContext: resolvedSink != nil || sharedContext)
    // A parent group is named with its child only: the group-wide context of a group without a
    // sink has no child, and that group is in no stream.
    let parentTask = parent?.task
    resolvedSink?.emit(Event(.groupOpened(GroupOpened(group: core.id, name: name, parentTask: parentTask,
                                                      parentGroup: parentTask == nil ? nil : parent?.group.id,
                                                      site: SourceSite(fileID: fileID, line: line), policy: policy, limit: limit))))
    // A viewer's cancel of the group (a monitor with actions on) reaches it through this hook.
    let cancellable = ActionTargets.isEnabled && resolvedSink != nil
    if cancellable { ActionTargets.register(group: core.id) { core.cancelFromViewer() } }
    var childCount = 0
    let reason = CancellationReason.current
    func run() async {
        await withTaskCancellationHandler {
            if policy == .collectAll && limit == nil {
                await withTaskGroup(of: Void.self) { tasks in
                    var group = SafeGroup<Success>(collecting: tasks, core: core)
                    await body(&group)
                    childCount = group.childCount
                }
                return
            }
            do {
                try await withThrowingDiscardingTaskGroup { tasks in
                    var group = SafeGroup<Success>(tasks: tasks, core: core)
                    await body(&group)
                    childCount = group.childCount
                }
            } catch {
                // Only PolicyCancellation reaches here: children never throw anything else.
            }
        } onCancel: {
            core.noteCancellation(reason?.cause ?? .parentCancelled)
        }
    }
    if let instrument = core.instrument {
        // Its sink instruments (a tracer): the scope, and the close whose event ends the
        // group's span, run inside it, and the children inherit what it binds.
        let group = InstrumentedGroup(group: core.id, name: name, site: SourceSite(fileID: fileID, line: line),
                                      policy: policy, limit: limit, parentTask: parentTask)
        return await instrument.withGroup(group, isolation: isolation) {
            await run()
            return await core.close(childCount: childCount)
        }
    }
    if sharedContext {
        await TaskContext.local.withValue(TaskContext(task: nil, group: GroupContext(id: core.id, sink: nil))) { await run() }
    } else {
        await run()
    }
    if cancellable { ActionTargets.unregister(group: core.id) }
    return await core.close(childCount: childCount)
}
