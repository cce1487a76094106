import Foundation
import GroupEvents
import PropertyBased
import Testing

/// Runs `body` on 200 random events (hostile strings, edge-case numbers, every kind).
func propertyCheckEvents(_ body: (Event) -> Void) async {
    await propertyCheck(count: 200, input: Gen.event) { event in body(event) }
}

@Suite struct WireRoundTripTests {
    @Test func randomEventsOfEveryKindSurviveEncodeThenDecode() async throws {
        await propertyCheck(count: 200, input: Gen.event.array(of: 1...20)) { events in
            let decoded = try WireDecoder.decode(encodeStream(events))
            #expect(decoded.records.headers == [sampleHeader])
            #expect(decoded.records.events == events)
            #expect(decoded.records.diagnostics.isEmpty)
            #expect(decoded.counters.events == events.count)
        }
    }

    @Test func sequenceNumbersSurviveTheRoundTrip() throws {
        let events = (0..<5).map { Event(time: MonotonicTime(nanoseconds: UInt64($0)), .dropped(Dropped(count: 1))) }
        let decoded = try WireDecoder.decode(encodeStream(events))
        let seqs = decoded.records.compactMap { if case .event(let seq, _) = $0 { seq } else { nil } }
        #expect(seqs == [1, 2, 3, 4, 5])
    }

    @Test func hostileStringsAreValidJSONThatFoundationReadsBackIdentically() async throws {
        await propertyCheck(count: 300, input: Gen.event) { event in
            // Foundation drops a U+FEFF inside a string value; that is its quirk, not ours.
            guard case .taskSpawned(let spawned) = event.kind,
                  !(spawned.name + spawned.site.file).unicodeScalars.contains("\u{FEFF}") else { return }
            let line = Data(encodeLine(event).utf8)
            let object = try JSONSerialization.jsonObject(with: line) as? [String: Any]
            #expect(object?["name"] as? String == spawned.name)
            #expect((object?["site"] as? [String: Any])?["file"] as? String == spawned.site.file)
        }
    }

    @Test func headerWithHostileServiceNameRoundTrips() async throws {
        await propertyCheck(count: 100, input: Generator { rng in hostileString(using: &rng) }) { service in
            let header = WireHeader(service: service, pid: -1, epochUnixNanoseconds: .min, clock: service)
            let decoded = try WireDecoder.decode(encodeStream([], header: header))
            #expect(decoded.records == [.header(header)])
        }
    }
}
