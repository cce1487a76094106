@testable import Dashboard
import GroupEvents
import Testing

/// A service's graceful shutdown as the dashboard shows it while it happens: groups close
/// drained ("cancelled: graceful shutdown"), the header says SHUTTING DOWN, then the stream ends.
@Suite struct GracefulShutdownTests {
    /// The checkout scenario, then a graceful shutdown: the nightly sync drains, its last child
    /// is cancelled at the deadline, and the group closes saying why.
    static func shuttingDown() -> StreamBuilder {
        var s = checkoutScenario()
        s.end(32, in: 3, .ok, at: 3_600, duration: 2_298)
        s.end(33, in: 3, .cancelled, at: 3_700, duration: 397)
        s.close(3, .cancelled, at: 3_700, faults: 1, children: 3, cancellation: .gracefulShutdown)
        return s
    }

    static func state(connection: ConnectionState) -> DashboardState {
        var state = DashboardState(mode: .live, size: RenderSnapshotTests.small)
        state.update(.connection(.connected))
        state.update(.tick(viewerNanoseconds: 0))
        state.feed(shuttingDown())
        state.update(.tick(viewerNanoseconds: 500_000_000))
        state.update(.connection(connection))
        return state
    }

    @Test func aGroupClosedByTheShutdownIsCountedAndKeepsItsCause() {
        let state = Self.state(connection: .connected)
        #expect(state.model.gracefulShutdownGroups == 1)
        #expect(state.model.groups[GroupID(3)]?.cancellation == .gracefulShutdown)
        #expect(checkoutState(size: RenderSnapshotTests.small).model.gracefulShutdownGroups == 0)
    }

    @Test func theHeaderSaysShuttingDownWhileConnectedAndShutDownOnceEnded() {
        let live = render(Self.state(connection: .connected), size: RenderSnapshotTests.small)
        #expect(live.line(0).contains("SHUTTING DOWN"))
        let ended = render(Self.state(connection: .ended), size: RenderSnapshotTests.small)
        #expect(ended.line(0).contains("shut down gracefully"))
        #expect(!render(checkoutState(size: RenderSnapshotTests.small), size: RenderSnapshotTests.small).line(0).contains("SHUTTING"))
    }

    @Test func shuttingDownAt80x24() {
        assertSnapshot(render(Self.state(connection: .connected), size: RenderSnapshotTests.small), named: "graceful-shutdown-80x24")
    }
}
