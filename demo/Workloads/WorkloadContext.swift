import GroupEvents
import SafeGroup

/// What a workload needs from its surroundings: where its events go, and the demo's controls.
///
/// Get one from ``DemoControl/context`` to run a workload by hand (tests do), or let a
/// ``DemoDriver`` pass one to every run.
public struct WorkloadContext: Sendable {
    /// The sink of the workload's top-level groups (nested groups inherit it); nil means
    /// `EventSystem`'s default, as for any group.
    public let sink: (any EventSink)?
    let board: InjectionBoard
    /// The run this workload is, when a ``RunRegistry`` started it.
    let run: RunRegistry.Entry?

    init(sink: (any EventSink)?, board: InjectionBoard, run: RunRegistry.Entry?) {
        self.sink = sink
        self.board = board
        self.run = run
    }

    /// The same context for the run `entry`.
    func forRun(_ entry: RunRegistry.Entry) -> WorkloadContext {
        WorkloadContext(sink: sink, board: board, run: entry)
    }

    /// Runs a child's work where ``DemoControl`` can inject faults into it.
    func track<T: Sendable>(_ name: String, isolation: isolated (any Actor)? = #isolation,
                            _ work: () async throws -> T) async throws -> T {
        try await board.track(name, work)
    }

    /// Tells the run which group is its top-level one, so ``DemoControl/cancelGroup(_:)`` can find it.
    func opened(_ group: GroupID) {
        run?.opened(group)
    }
}
