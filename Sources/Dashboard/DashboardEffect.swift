import GroupEvents

/// Something the reducer asks the run loop to do. Effects are values (like bubbletea's
/// `Cmd`): the reducer stays pure, and tests check what it asked for.
public enum DashboardEffect: Hashable, Sendable {
    /// Restore the terminal and exit.
    case quit
    /// Control the replay (replay mode only).
    case replay(ReplayAction)
    /// Inject something into the demo workloads (demo mode only).
    case demo(DemoAction)
    /// Ask the live service to cancel a task or a group (`x`, confirmed with `y`).
    case cancel(ViewerAction.Target)
    /// The replay's checkpoint at `record` was evicted (see ``ReplayCheckpoint``): never restore it.
    case replayCheckpointDropped(record: Int)
}

/// What a replay key asks of the replay runner.
public enum ReplayAction: Hashable, Sendable {
    case togglePlay
    /// Double or halve the speed, within 0.25× to 64×.
    case faster
    case slower
    /// Move by this many seconds of stream time (negative: back).
    case seek(seconds: Int)
    case nextFault
    case previousFault
    /// Move by this many events.
    case step(Int)
    case toStart
    case toEnd
}

/// What a demo key asks of the demo runner.
public enum DemoAction: Hashable, Sendable {
    /// An error in a random running child.
    case injectError
    case injectTimeout
    /// A crash of an isolated child.
    case injectCrash
    /// A burst of 1,000 children.
    case burst
    /// Cancel the selected group (the group of the selected task); nil when nothing is selected.
    case cancelGroup(GroupID?)
}
