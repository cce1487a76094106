import GroupEvents
import GroupIsolation
import Synchronization

/// The demo's controls: inject a fault into a running child, start a burst, cancel a run.
///
/// Every control acts on real running code: an injection is put in the mailbox of a running
/// child, which carries it out itself at its next await point (so an injected error is
/// thrown, with its stack, from the backend call the child was making); a burst is a real
/// group of many children; a cancellation cancels the task that owns a top-level group.
///
/// ```swift
/// let driver = DemoDriver(.init(seed: 42, childrenPerSecond: 200))
/// Task { await driver.run() }
/// if let target = driver.control.injectError() { print("error injected into \(target.name)") }
/// ```
public final class DemoControl: Sendable {
    /// The context the runs started here get; use it to run a workload by hand.
    public let context: WorkloadContext
    let runs: RunRegistry
    private let seeds: Mutex<SeededGenerator>
    /// The worker processes isolated children run in; nil when the demo has none.
    public let workers: WorkerPool?
    private let crashes = Mutex<(next: Int, importID: Int)>((0, 0))

    /// Controls whose random choices (which child, the bursts' answers) come from `seed`.
    ///
    /// - Parameters:
    ///   - sink: The sink of the runs' top-level groups; nil for `EventSystem`'s default.
    ///   - workers: Where isolated children run (``injectCrash()``, invoice imports); its
    ///     executable must serve ``demoJobs``.
    public init(seed: UInt64, sink: (any EventSink)? = nil, workers: WorkerPool? = nil) {
        var seeds = SeededGenerator(seed: seed)
        context = WorkloadContext(sink: sink, board: InjectionBoard(seed: seeds.next()), run: nil)
        runs = RunRegistry()
        self.seeds = Mutex(seeds)
        self.workers = workers
    }

    /// Starts an invoice import whose last document is malformed so that its parser really
    /// traps, in a worker process: the import records a `crash` fault with the worker's
    /// stack and goes on, and so does the demo. The kinds take turns: nil unwrap, index out
    /// of range, `fatalError`, stack overflow.
    ///
    /// - Returns: The import's name and the trap it will hit, or nil without ``workers``.
    @discardableResult
    public func injectCrash() -> (name: String, kind: MalformedInvoice)? {
        guard let workers else { return nil }
        let (kind, importID) = crashes.withLock { state -> (MalformedInvoice, Int) in
            defer { state.next += 1; state.importID += 1 }
            return (MalformedInvoice.allCases[state.next % MalformedInvoice.allCases.count], 9_000 + state.importID)
        }
        let scenario = InvoiceImportScenario.make(importID: importID, malformed: kind)
        startImport(scenario, on: workers)
        return (scenario.name, kind)
    }

    /// Starts `scenario` as a run, on `workers`.
    func startImport(_ scenario: InvoiceImportScenario, on workers: WorkerPool) {
        runs.start(scenario.name) { [context] entry in
            _ = await InvoiceImport().run(scenario, pool: workers, context: context.forRun(entry))
        }
    }

    /// Makes a running child, chosen at random, throw ``InjectedError`` at its next await point.
    ///
    /// - Returns: The child, or nil when no child is running. The error is thrown unless the
    ///   child is cancelled first (its group's policy, or its timeout).
    @discardableResult
    public func injectError() -> InjectionTarget? {
        context.board.inject(.error)
    }

    /// Makes a running child, chosen at random, stop answering at its next await point, so its
    /// timeout fires and the group records a timeout fault.
    ///
    /// - Returns: The child, or nil when no child is running.
    @discardableResult
    public func injectTimeout() -> InjectionTarget? {
        context.board.inject(.timeout)
    }

    /// Makes a running child, chosen at random, trap in-process at its next await point: the
    /// whole process dies (Swift cannot recover from a trap). With the monitor's crash handler
    /// on, viewers and the recording get a last `process.crashed` event naming the child.
    ///
    /// - Returns: The child, or nil when no child is running.
    @discardableResult
    public func injectTrap() -> InjectionTarget? {
        context.board.inject(.trap)
    }

    /// Starts a cache warm-up of `count` children (``CacheWarmBurst``) beside the other runs.
    ///
    /// - Returns: The run's name, which is also its group's name.
    @discardableResult
    public func burst(_ count: Int = 1_000) -> String {
        precondition(count >= 1, "DemoControl.burst(\(count)): a burst needs at least one child")
        let seed = seeds.withLock { $0.next() }
        let name = "cache warm-up (\(count) keys)"
        runs.start(name) { [context] entry in
            _ = await CacheWarmBurst().run(count: count, seed: seed, context: context.forRun(entry))
        }
        return name
    }

    /// Cancels the workload run whose top-level group is `group`: the group records that its
    /// parent was cancelled, and every child in it (nested groups included) is cancelled.
    ///
    /// Only a run's top-level group can be cancelled from outside: a group nested inside a
    /// child belongs to that child's task, which nothing outside the group can reach (see
    /// docs/DESIGN-NOTES.md, "cancelling a group from outside its scope").
    ///
    /// - Returns: The run, or nil when no running workload has `group` as its top-level group
    ///   (a nested group, a run that has ended, a group of something else).
    @discardableResult
    public func cancelGroup(_ group: GroupID) -> CancelledRun? {
        runs.cancel(group: group)
    }

    /// How many workload runs are in flight.
    public var runningWorkloads: Int { runs.count }
    /// How many children that faults can be injected into are running.
    public var runningChildren: Int { context.board.count }

    /// Starts `run` beside the others.
    func start(_ run: DemoSchedule.Run) {
        runs.start(run.name) { [context] entry in
            await run.perform(in: context.forRun(entry))
        }
    }
}
