import GroupEvents
import Testing

/// The `faultsDropped` field of `dropped` (wire format 1.3).
@Suite struct DroppedFaultsWireTests {
    @Test func droppedFaultsRoundTripAndAreOmittedWhenNone() throws {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        encoder.encode(Event(time: MonotonicTime(nanoseconds: 5), .dropped(Dropped(count: 17, faults: 2))), seq: 9, into: &bytes)
        encoder.encode(Event(time: MonotonicTime(nanoseconds: 6), .dropped(Dropped(count: 3))), seq: 10, into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == """
            {"seq":9,"t":5,"type":"dropped","count":17,"faultsDropped":2}
            {"seq":10,"t":6,"type":"dropped","count":3}

            """)
        let events = try WireDecoder.decode(bytes).records.compactMap { if case .event(_, let e) = $0 { e.kind } else { nil } }
        #expect(events == [.dropped(Dropped(count: 17, faults: 2)), .dropped(Dropped(count: 3, faults: 0))])
    }

    @Test func aReaderOfThisVersionReadsFaultsDroppedFromA13StreamAndIgnoresItsAbsence() throws {
        let stream = headerLine.replacingOccurrences(of: #""1.2""#, with: #""1.3""#) + "\n"
            + #"{"faultsDropped":4,"seq":1,"t":1,"type":"dropped","count":9}"# + "\n"
        let (records, counters) = try WireDecoder.decode(Array(stream.utf8))
        #expect(counters.malformed == 0)
        #expect(records.contains(.event(seq: 1, Event(time: MonotonicTime(nanoseconds: 1), .dropped(Dropped(count: 9, faults: 4))))))
    }
}
