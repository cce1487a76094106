import Dashboard
import GroupEvents

/// Where a dashboard's messages come from, and who carries out its effects: a live socket, a
/// recorded file, or the in-process demo.
///
/// The run loop (``DashboardRunner``) calls ``poll(_:)`` once per wake and never blocks on a
/// source: a source is fed by its own reader (a task, a thread, the demo's tasks) through a
/// bounded hand-off, and `poll` only takes what is already there. Messages are handed to a
/// closure as they are made, not returned in an array: a replay that jumps over a million
/// records feeds them in batches, and only one batch is ever in memory.
protocol DashboardSource {
    /// The dashboard's mode for this source.
    var mode: DashboardMode { get }

    /// Hands what arrived since the last call to `deliver`, in order, records batched as `.records`.
    mutating func poll(_ deliver: (DashboardMessage) -> Void)

    /// Carries out a replay or demo effect (never `.quit`, which the runner handles) and hands
    /// what came of it to `deliver`, as messages for the reducer.
    mutating func perform(_ effect: DashboardEffect, _ deliver: (DashboardMessage) -> Void)

    /// A failure that ends the dashboard (the service could not be reached at all, say),
    /// reported once the terminal is restored.
    var failure: CommandFailure? { get }

    /// Stops the source's reader and finishes what it writes (the demo's recording ends with a
    /// whole line). Called once, when the loop has ended.
    mutating func finish()

    /// Whether the source has work left from the last poll (a replay's move being fed): the
    /// run loop then takes keys without waiting, and polls again.
    var isBusy: Bool { get }
}

extension DashboardSource {
    var isBusy: Bool { false }
}

/// Messages of one poll, in order, with each run of records joined into one `.records`: one
/// message (and one array) per wake rather than one per record.
struct MessageBatch {
    private var done: [DashboardMessage] = []
    private var records: [WireRecord] = []

    mutating func append(_ record: WireRecord) { records.append(record) }

    mutating func append(_ message: DashboardMessage) {
        flushRecords()
        done.append(message)
    }

    /// The messages, the last run of records included.
    mutating func take() -> [DashboardMessage] {
        flushRecords()
        defer { done = [] }
        return done
    }

    private mutating func flushRecords() {
        guard !records.isEmpty else { return }
        done.append(.records(records))
        records = []
    }
}
