/// What a replay asks of the dashboard's checkpoints: models kept along the recording, so that
/// a move back starts from the nearest one instead of the session's header.
///
/// The replay source numbers a checkpoint by how many records had been fed when it was saved,
/// and feeds on from there after a restore. The dashboard keeps at most
/// ``DashboardState/maxCheckpoints``, and at most ``DashboardState/checkpointBudget`` tracked
/// items (tasks, groups, faults, history) in all: it evicts to stay within them and says which
/// with ``DashboardEffect/replayCheckpointDropped(record:)``, so the source restores only one it has.
public enum ReplayCheckpoint: Hashable, Sendable {
    /// Keep the model as it is now, after the replay's first `record` records.
    case save(record: Int)
    /// Go back to the model kept at `record`: the source feeds on from there.
    case restore(record: Int)
}
