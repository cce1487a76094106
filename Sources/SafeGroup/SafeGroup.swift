import GroupEvents
import Synchronization

/// A group of child tasks that never loses a child's failure.
///
/// You get one from ``withSafeGroup(of:name:policy:limit:timeout:slowCancelThreshold:sink:fileID:line:isolation:body:)``
/// and use it inside that scope only, like a `TaskGroup`. Children return a value or throw;
/// they never throw *into* the group: every failure becomes a ``Fault`` in the group's
/// ``GroupReport``.
public struct SafeGroup<Success: Sendable> {
    // The spawn path is inlinable so that it is specialized for the caller's `Success`:
    // unspecialized generic code costs more than the rest of a child's bookkeeping.
    //
    // Exactly one of the two underlying groups is set. A `.collectAll` group with no limit runs
    // on a plain task group, whose finished children `spawn` collects (`collected` of them so
    // far, of `core.finished`): the parent frees them on its own thread, which costs less than
    // the discarding group freeing each on the thread that ran it, and memory stays bounded by
    // the children still running. Groups that must cancel siblings on a fault, or hold a limit,
    // run on the discarding group. docs/DESIGN-NOTES.md, "Which task group underneath".
    @usableFromInline var tasks: ThrowingDiscardingTaskGroup<any Error>?
    @usableFromInline var collecting: TaskGroup<Void>?
    @usableFromInline var collected = 0
    @usableFromInline let core: GroupCore<Success>
    @usableFromInline var spawned = 0

    init(tasks: ThrowingDiscardingTaskGroup<any Error>, core: GroupCore<Success>) {
        self.tasks = tasks
        self.core = core
    }

    init(collecting: TaskGroup<Void>, core: GroupCore<Success>) {
        self.collecting = collecting
        self.core = core
    }

    /// The group's id, as events and faults name it.
    public var id: GroupID { core.id }
    /// The group's name.
    public var name: String { core.name }
    /// How many children were spawned so far.
    public var childCount: Int { spawned }
    /// Whether the group was cancelled (by its policy, by ``cancelAll()`` or by its parent).
    public var isCancelled: Bool { tasks?.isCancelled ?? collecting?.isCancelled ?? false }

    /// Spawns a child, waiting for a slot first if the group has a limit and all are in use.
    ///
    /// The wait for a slot goes on even if the group is cancelled: the running children are
    /// cancelled too, so a slot frees up as soon as one of them ends.
    ///
    /// - Parameters:
    ///   - name: What the dashboard and faults call the child.
    ///   - timeout: Cancel the child and record a timeout fault after this long
    ///     (default: the group's timeout). Must be positive.
    ///   - operation: The child's work.
    /// - Returns: The child's id; ``GroupReport/value(of:)`` finds its value by it.
    @inlinable
    @discardableResult
    public mutating func spawn(
        _ name: String = "child",
        timeout: Duration? = nil,
        fileID: StaticString = #fileID,
        line: UInt = #line,
        isolation: isolated (any Actor)? = #isolation,
        operation: @escaping @Sendable () async throws -> Success
    ) async -> TaskID {
        await spawnWhenReady(name, timeout: timeout, site: SourceSite(fileID: fileID, line: line), isolated: false, operation: operation)
    }

    /// Spawns a child only if a slot is free now; returns nil when the group is at its limit.
    ///
    /// It cannot wait, so in a `.collectAll` group with no limit it does not collect finished
    /// children the way ``spawn(_:timeout:fileID:line:isolation:operation:)`` does: a long-lived
    /// loop in such a group should use `spawn`.
    @inlinable
    @discardableResult
    public mutating func trySpawn(
        _ name: String = "child",
        timeout: Duration? = nil,
        fileID: StaticString = #fileID,
        line: UInt = #line,
        operation: @escaping @Sendable () async throws -> Success
    ) -> TaskID? {
        guard core.tryAcquireSlot() else { return nil }
        return start(name, timeout: timeout, site: SourceSite(fileID: fileID, line: line), operation: operation)
    }

    /// Spawns a child whose work runs in another process: like ``spawn(_:timeout:fileID:line:isolation:operation:)``,
    /// but its `task.spawned` event says `isolated: true`.
    ///
    /// For GroupIsolation's `spawnIsolated`; the operation is what waits for the worker.
    @_spi(Isolation)
    @discardableResult
    public mutating func spawnIsolatedChild(
        _ name: String,
        timeout: Duration?,
        fileID: StaticString,
        line: UInt,
        isolation: isolated (any Actor)? = #isolation,
        operation: @escaping @Sendable () async throws -> Success
    ) async -> TaskID {
        await spawnWhenReady(name, timeout: timeout, site: SourceSite(fileID: fileID, line: line), isolated: true, operation: operation)
    }

    /// Cancels every child, running or yet to be spawned, and records ``CancellationCause/requested``.
    public mutating func cancelAll() {
        core.noteCancellation(.requested)
        tasks?.cancelAll()
        collecting?.cancelAll()
    }

    /// Waits for a slot (under a limit), collects the finished children (a plain group), then starts the child.
    @inlinable
    mutating func spawnWhenReady(_ name: String, timeout: Duration?, site: SourceSite, isolated: Bool,
                                 isolation: isolated (any Actor)? = #isolation,
                                 operation: @escaping @Sendable () async throws -> Success) async -> TaskID {
        if core.limit != nil { await core.acquireSlot() }
        if collecting != nil { await collectFinished() }
        return start(name, timeout: timeout, site: site, isolated: isolated, operation: operation)
    }

    /// Collects the children of a plain group that have finished, so that it keeps none of them
    /// (each has bumped `core.finished` just before its result reaches the group).
    @inlinable
    mutating func collectFinished(isolation: isolated (any Actor)? = #isolation) async {
        let finished = core.finished.load(ordering: .acquiring)
        while collected < finished {
            _ = await collecting!.next(isolation: isolation)
            collected += 1
        }
    }

    @inlinable
    mutating func start(_ name: String, timeout: Duration?, site: SourceSite, isolated: Bool = false,
                        operation: @escaping @Sendable () async throws -> Success) -> TaskID {
        let timeout = timeout ?? core.defaultTimeout
        if let timeout { GroupCore<Success>.checkTimeout(timeout, child: name) }
        let task = IDs.task()
        spawned += 1
        let runner = ChildRunner(core: core, task: task, name: name, site: site, timeout: timeout,
                                 spawnedAt: core.emits ? core.spawned(task, name: name, site: site, isolated: isolated) : nil,
                                 operation: operation)
        if collecting != nil {
            collecting!.addTask {
                _ = await runner.run()  // .collectAll: never cancels the siblings
                runner.core.finished.add(1, ordering: .releasing)
            }
        } else {
            tasks!.addTask {
                if await runner.run() {
                    // The discarding group cancels every sibling when a child throws.
                    throw PolicyCancellation()
                }
            }
        }
        return task
    }
}

/// Thrown by a child into the underlying task group to make it cancel the siblings.
@usableFromInline
struct PolicyCancellation: Error {
    @usableFromInline init() {}
}
