import Glibc
@testable import TerminalUI
import Testing

/// The terminal guard's signal side: while a session is open SIGINT, SIGTERM and SIGHUP become
/// input, and closing puts back exactly the handlers that were there before.
@Suite(.serialized) struct SignalTrapTests {
    /// The handler installed for `signal` now, as a number (nil, SIG_DFL, is 0).
    private static func handler(of signal: Int32) -> Int {
        var current = sigaction()
        _ = sigaction(signal, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
    }

    @Test func aSignalWhileTheTrapIsArmedIsReportedNotActedOn() throws {
        let trap = try SignalTrap()
        defer { trap.restore() }
        #expect(trap.pending == nil)
        // The installed handler, called as the kernel would: not raise(), which on a test
        // thread (its signals blocked by the thread pool) would leave SIGHUP pending for later.
        var current = sigaction()
        _ = sigaction(SIGHUP, nil, &current)
        let handler = try #require(current.__sigaction_handler.sa_handler)
        handler(SIGHUP)
        #expect(trap.pending == SIGHUP)
    }

    @Test func restoringPutsBackThePreviousHandlers() throws {
        let before = SignalTrap.signals.map(Self.handler(of:))
        let trap = try SignalTrap()
        #expect(SignalTrap.signals.map(Self.handler(of:)) != before)
        trap.restore()
        #expect(SignalTrap.signals.map(Self.handler(of:)) == before)
    }

    @Test func restoringTwiceChangesNothingMore() throws {
        let before = SignalTrap.signals.map(Self.handler(of:))
        let trap = try SignalTrap()
        trap.restore()
        trap.restore()
        #expect(SignalTrap.signals.map(Self.handler(of:)) == before)
    }
}
