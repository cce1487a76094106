import GroupEvents
import Testing

@Suite struct WireEncoderTests {
    @Test func headerLineHasEveryFieldInOrder() {
        var bytes: [UInt8] = []
        WireEncoder().encodeHeader(sampleHeader, into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == headerLine + "\n")
    }

    @Test func taskSpawnedLineIsExact() {
        let event = Event(time: MonotonicTime(nanoseconds: 1_250_046_829), .taskSpawned(TaskSpawned(
            task: TaskID(12), group: GroupID(3), name: "charge-card", site: SourceSite(fileID: "Checkout/Handler.swift", line: 57))))
        #expect(encodeLine(event, seq: 9) == #"{"seq":9,"t":1250046829,"type":"task.spawned","task":12,"group":3,"name":"charge-card","site":{"file":"Checkout/Handler.swift","line":57}}"# + "\n")
    }

    @Test func falseFlagsAndNilOptionalsAreOmitted() {
        let opened = Event(time: MonotonicTime(nanoseconds: 5), .groupOpened(GroupOpened(
            group: GroupID(1), name: "g", site: fixedSite, policy: .collectAll)))
        #expect(encodeLine(opened) == #"{"seq":1,"t":5,"type":"group.opened","group":1,"name":"g","site":{"file":"Checkout/Handler.swift","line":57},"policy":"collect-all"}"# + "\n")
        let ended = Event(time: MonotonicTime(nanoseconds: 5), .taskEnded(TaskEnded(task: TaskID(2), group: GroupID(1), status: .timedOut, durationNanoseconds: 0)))
        #expect(encodeLine(ended) == #"{"seq":1,"t":5,"type":"task.ended","task":2,"group":1,"status":"timed-out","durationNs":0}"# + "\n")
    }

    @Test(arguments: [
        (UInt64(0), "0"), (9, "9"), (10, "10"), (99, "99"), (100, "100"), (101, "101"), (999, "999"), (1000, "1000"),
        (1_250_046_829, "1250046829"), (9_999_999_999_999_999_999, "9999999999999999999"),
        (10_000_000_000_000_000_000, "10000000000000000000"), (UInt64.max, "18446744073709551615"),
        // Around the 8-digit pieces the number is cut into, with zeros inside the pieces.
        (99_999_999, "99999999"), (100_000_000, "100000000"), (100_000_001, "100000001"),
        (1_000_000_007, "1000000007"), (12_345_678_900_000_042, "12345678900000042"),
        (9_999_999_999_999_999, "9999999999999999"), (10_000_000_000_000_000, "10000000000000000"),
        (10_000_000_000_000_001, "10000000000000001"), (18_440_000_000_000_000_001, "18440000000000000001"),
    ])
    func unsignedIntegersAreWrittenInDecimal(value: UInt64, text: String) {
        let line = encodeLine(Event(time: MonotonicTime(nanoseconds: value), .dropped(Dropped(count: value))), seq: value)
        #expect(line == #"{"seq":\#(text),"t":\#(text),"type":"dropped","count":\#(text)}"# + "\n")
    }

    @Test func signedIntegersKeepTheirSignAtTheExtremes() {
        let closed = Event(time: MonotonicTime(nanoseconds: 1), .groupClosed(GroupClosed(
            group: GroupID(1), outcome: .ok, faultCount: Int.min, childCount: Int.max)))
        #expect(encodeLine(closed).contains(#""faultCount":-9223372036854775808,"childCount":9223372036854775807"#))
    }

    @Test func everyJSONEscapeIsWrittenAsTheShortestValidForm() {
        var name = "q\"b\\s/"
        for scalar in 0..<0x20 { name.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        name += "\u{7F}\u{85}é😀\u{202E}"
        let line = encodeLine(Event(time: MonotonicTime(nanoseconds: 1), .taskSpawned(TaskSpawned(
            task: TaskID(1), group: GroupID(1), name: name, site: fixedSite))))
        let expected = #"q\"b\\s/\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + "\u{7F}\u{85}é😀\u{202E}"
        #expect(line.contains(#""name":"\#(expected)""#))
    }

    /// Short runs are copied as overlapping words; every length around those words' sizes, with
    /// an escape at every position, must come out byte for byte.
    @Test func namesOfEveryShortLengthWithAnEscapeAnywhereAreWrittenExactly() {
        for length in 0...40 {
            let plain = String((0..<length).map { Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8($0 % 26))) })
            #expect(encodeLine(spawned(named: plain)).contains(#""name":"\#(plain)","site""#), "length \(length)")
            for position in 0..<length {
                var bytes = Array(plain.utf8)
                bytes[position] = UInt8(ascii: "\"")
                let name = String(decoding: bytes, as: UTF8.self)
                let escaped = String(decoding: bytes[..<position], as: UTF8.self) + #"\""# + String(decoding: bytes[(position + 1)...], as: UTF8.self)
                #expect(encodeLine(spawned(named: name)).contains(#""name":"\#(escaped)","site""#), "length \(length), quote at \(position)")
            }
        }
    }

    private func spawned(named name: String) -> Event {
        Event(time: MonotonicTime(nanoseconds: 1), .taskSpawned(TaskSpawned(task: TaskID(1), group: GroupID(1), name: name, site: fixedSite)))
    }

    @Test func encodedLinesHaveNoRawControlBytesButTheFinalNewline() async {
        await propertyCheckEvents { event in
            var bytes: [UInt8] = []
            WireEncoder().encode(event, seq: 1, into: &bytes)
            #expect(bytes.last == UInt8(ascii: "\n"))
            #expect(!bytes.dropLast().contains { $0 < 0x20 })
        }
    }

    @Test func longMessagesAreCutAtAScalarBoundary() throws {
        let message = String(repeating: "é", count: 20_000)  // two bytes each, so the cap falls mid-scalar
        let fault = FaultInfo(task: TaskID(1), taskName: "t", group: GroupID(1), groupName: "g", site: fixedSite,
                              kind: .error, errorType: "E", message: message, startedAt: MonotonicTime(nanoseconds: 1),
                              endedAt: MonotonicTime(nanoseconds: 2))
        let decoded = try decode(encodeLine(Event(time: MonotonicTime(nanoseconds: 3), .faultRecorded(fault))))
        guard case .faultRecorded(let info)? = decoded.records.events.first?.kind else {
            Issue.record("the fault did not decode: \(decoded.records)")
            return
        }
        #expect(info.message.utf8.count == WireFormat.maxMessageBytes)
        #expect(info.message == String(repeating: "é", count: WireFormat.maxMessageBytes / 2))
    }

    @Test func worstCaseFaultStaysUnderTheDefaultLineLimit() {
        let controls = String(repeating: "\u{01}", count: 100_000)
        let frames = Array(repeating: StackFrame(symbol: controls, file: controls, line: .max), count: 100)
        let fault = FaultInfo(task: TaskID(.max), taskName: controls, group: GroupID(.max), groupName: controls,
                              site: SourceSite(file: controls, line: .max), kind: .crash, errorType: controls,
                              message: controls, startedAt: MonotonicTime(nanoseconds: .max),
                              endedAt: MonotonicTime(nanoseconds: .max), stackOrigin: StackOrigin(rawValue: controls), stack: frames, signal: .min)
        var bytes: [UInt8] = []
        WireEncoder().encode(Event(time: MonotonicTime(nanoseconds: .max), .faultRecorded(fault)), seq: .max, into: &bytes)
        #expect(bytes.count < WireFormat.defaultMaxLineLength)
        let decoded = try? WireDecoder.decode(bytes)
        #expect(decoded?.counters.events == 1)
        if case .faultRecorded(let info)? = decoded?.records.events.first?.kind {
            #expect(info.stack.count == WireFormat.maxStackFrames)
        } else {
            Issue.record("the worst-case fault did not decode")
        }
    }

    @Test func appendsToWhatIsAlreadyInTheBuffer() {
        var bytes = Array("prefix\n".utf8)
        WireEncoder().encode(Event(time: MonotonicTime(nanoseconds: 1), .dropped(Dropped(count: 2))), seq: 3, into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "prefix\n" + #"{"seq":3,"t":1,"type":"dropped","count":2}"# + "\n")
    }
}
