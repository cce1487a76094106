@testable import Dashboard
import GroupEvents
import Testing

/// The replay's checkpoints: a restored model is the model as saved, and the dashboard keeps
/// them within their bounds, saying which it evicted.
@Suite struct ReplayCheckpointTests {
    static let size = TerminalSize(columns: 120, rows: 40)

    @Test func aRestoredCheckpointShowsWhatWasShownWhenItWasSaved() {
        var first = StreamBuilder()
        first.header()
        first.open(1, "checkout", at: 1)
        first.spawn(10, in: 1, "payment", at: 2)
        var later = StreamBuilder()
        later.seq = first.seq
        later.fault(10, "payment", in: 1, "checkout", started: 2, at: 3)
        later.spawn(11, in: 1, "shipping", at: 4)
        later.header(service: "restarted")
        let position = ReplayPosition(time: StreamBuilder.ms(2), start: StreamBuilder.ms(1), end: StreamBuilder.ms(4))

        var state = DashboardState(mode: .replay, size: Self.size)
        state.feed(first)
        state.update(.replayPosition(position))
        let saved = render(state, size: Self.size).text
        #expect(state.update(.replayCheckpoint(.save(record: 3))).isEmpty)
        state.feed(later)
        #expect(render(state, size: Self.size).text != saved)
        state.update(.replayCheckpoint(.restore(record: 3)))
        state.update(.replayPosition(position))
        #expect(render(state, size: Self.size).text == saved)
        #expect(state.model.service == "checkout" && state.sessions == 1)
    }

    @Test func checkpointsBeyondTheCapAreEvictedAndReported() {
        var state = DashboardState(mode: .replay, size: Self.size)
        var dropped: [Int] = []
        for record in 1...(DashboardState.maxCheckpoints + 3) {
            for effect in state.update(.replayCheckpoint(.save(record: record * 100))) {
                if case .replayCheckpointDropped(let number) = effect { dropped.append(number) }
            }
        }
        #expect(dropped.count == 3)
        // The first and the newest stay: the evicted ones leave the others spread.
        #expect(!dropped.contains(100) && !dropped.contains((DashboardState.maxCheckpoints + 3) * 100))
    }
}
