import GroupEvents
import GroupEventsTesting
import Testing

@Suite struct MultiplexEventSinkTests {
    @Test func everySinkReceivesEveryEventInOrder() {
        let first = InMemoryEventSink(), second = InMemoryEventSink()
        let sink = MultiplexEventSink(first, second)
        let events = [
            Event(.heartbeat(Heartbeat(produced: 1))),
            Event(.dropped(Dropped(count: 2))),
            Event(.heartbeat(Heartbeat(produced: 3))),
        ]
        for event in events { sink.emit(event) }
        #expect(first.events == events)
        #expect(second.events == events)
    }

    @Test func nestedMultiplexersAreFlattened() {
        let a = InMemoryEventSink(), b = InMemoryEventSink(), c = InMemoryEventSink()
        let sink = MultiplexEventSink(MultiplexEventSink(a, b), c)
        #expect(sink.sinks.count == 3)
        sink.emit(Event(.heartbeat(Heartbeat())))
        #expect([a.count, b.count, c.count] == [1, 1, 1])
    }

    @Test func aMultiplexerWithNoSinksDropsEvents() {
        let sink = MultiplexEventSink([])
        sink.emit(Event(.heartbeat(Heartbeat())))
        #expect(sink.sinks.isEmpty)
    }
}
