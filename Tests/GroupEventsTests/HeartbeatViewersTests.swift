import GroupEvents
import Testing

/// The optional `viewers` field of `heartbeat`: written only when known, read when present,
/// and absent in lines of producers that do not send it.
@Suite struct HeartbeatViewersTests {
    @Test func viewersIsWrittenAfterTheTotalsWhenKnown() {
        var line: [UInt8] = []
        let event = Event(time: MonotonicTime(nanoseconds: 5), .heartbeat(Heartbeat(produced: 1, dropped: 0, viewers: 3)))
        WireEncoder().encode(event, seq: 9, into: &line)
        #expect(String(decoding: line, as: UTF8.self)
            == #"{"seq":9,"t":5,"type":"heartbeat","produced":1,"dropped":0,"viewers":3}"# + "\n")
    }

    @Test func viewersIsOmittedWhenUnknown() {
        var line: [UInt8] = []
        WireEncoder().encode(Event(time: MonotonicTime(nanoseconds: 5), .heartbeat(Heartbeat(produced: 1, dropped: 0))), seq: 9, into: &line)
        #expect(!String(decoding: line, as: UTF8.self).contains("viewers"))
    }

    @Test func viewersIsReadWhenPresentAndNilWhenAbsentOrNull() throws {
        let lines = [
            #"{"seq":1,"t":2,"type":"heartbeat","produced":3,"dropped":4,"viewers":7}"#,
            #"{"seq":2,"t":2,"type":"heartbeat","produced":3,"dropped":4}"#,
            #"{"seq":3,"t":2,"type":"heartbeat","viewers":null,"produced":3,"dropped":4}"#,
        ]
        let decoded = try WireDecoder.decode(Array((lines.joined(separator: "\n") + "\n").utf8))
        let beats = decoded.records.compactMap { record -> Heartbeat? in
            if case .event(_, let event) = record, case .heartbeat(let beat) = event.kind { beat } else { nil }
        }
        #expect(beats.map(\.viewers) == [7, nil, nil])
        #expect(decoded.counters.malformed == 0)
    }

    @Test func versionIsStillReadNowThatViewersSharesItsLengthAndFirstLetter() throws {
        let header = #"{"format":"safegroup-events","version":"1.4","service":"s","pid":1,"epochUnixNs":0,"clock":"monotonic-ns"}"#
        let decoded = try WireDecoder.decode(Array((header + "\n").utf8))
        #expect(decoded.records == [.header(WireHeader(service: "s", pid: 1, epochUnixNanoseconds: 0, version: WireVersion(major: 1, minor: 4)))])
    }

    /// 1.5's header field `actions` shares its length and first letter with `address`, and
    /// `result` with `reason`: each is still read as itself.
    @Test func actionsAndResultAreToldApartFromAddressAndReason() throws {
        let lines = [
            #"{"format":"safegroup-events","version":"1.5","service":"s","pid":1,"epochUnixNs":0,"clock":"monotonic-ns","actions":true}"#,
            #"{"seq":1,"t":2,"type":"viewer.action","viewer":9,"request":3,"action":"cancel","group":4,"result":"refused","reason":"no"}"#,
        ]
        let decoded = try WireDecoder.decode(Array((lines.joined(separator: "\n") + "\n").utf8))
        #expect(decoded.records == [
            .header(WireHeader(service: "s", pid: 1, epochUnixNanoseconds: 0, actions: true)),
            .event(seq: 1, Event(time: MonotonicTime(nanoseconds: 2), .viewerAction(ViewerAction(
                viewer: 9, request: 3, action: "cancel", target: .group(GroupID(4)), result: .refused, reason: "no")))),
        ])
    }
}
