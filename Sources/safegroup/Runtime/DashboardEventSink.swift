import GroupEvents
import Synchronization

/// The demo's ``EventSink``: events go into a bounded mailbox that the dashboard's run loop
/// empties on each wake.
///
/// `emit` is called from the workloads' tasks and must never block: beyond the mailbox's
/// capacity an event is dropped and counted, and the count is reported in band as a
/// ``Dropped`` event, as every sink does.
final class DashboardEventSink: EventSink {
    private let mailbox: BoundedMailbox<Event>
    private let dropped = Atomic<UInt64>(0)

    /// A sink holding at most `capacity` events between two wakes of the run loop.
    init(capacity: Int = 65_536) {
        mailbox = BoundedMailbox(capacity: capacity)
    }

    func emit(_ event: Event) {
        if !mailbox.offer(event) { dropped.add(1, ordering: .relaxed) }
    }

    /// The events since the last call, followed by a ``Dropped`` event when some were lost.
    func take() -> [Event] {
        var events = mailbox.takeAll()
        let lost = dropped.exchange(0, ordering: .relaxed)
        if lost > 0 { events.append(Event(.dropped(Dropped(count: lost)))) }
        return events
    }
}
