import GroupEvents
@testable import SafeGroupCLI
import Testing

/// `dump` words a group drained by a graceful shutdown (wire format 1.4).
@Test func dumpSaysAGroupWasCancelledByAGracefulShutdown() {
    var formatter = EventFormatter()
    #expect(formatter.lines(seq: 9, Event(time: MonotonicTime(nanoseconds: 2_000_000_000), .groupClosed(GroupClosed(
        group: GroupID(3), outcome: .cancelled, faultCount: 0, childCount: 5, cancellation: .gracefulShutdown))))
        == ["+2.000000s #9 group.closed g3 cancelled 5 children, 0 faults, cancelled by a graceful shutdown"])
}
