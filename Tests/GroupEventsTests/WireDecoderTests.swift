import GroupEvents
import Testing

/// The decoder on hand-written JSON: escapes, numbers, unknown and duplicate fields.
@Suite struct WireDecoderTests {
    /// The `name` of a `task.spawned` line whose name is written as `json` (a JSON string token).
    func decodedName(_ json: String) throws -> String? {
        let line = #"{"seq":1,"t":2,"type":"task.spawned","task":3,"group":4,"name":\#(json),"site":{"file":"f","line":1}}"#
        guard case .taskSpawned(let spawned)? = try decode(line).records.events.first?.kind else { return nil }
        return spawned.name
    }

    @Test func everyJSONEscapeIsResolved() throws {
        #expect(try decodedName(#""q\"b\\s\/b\bf\fn\nr\rt\t""#) == "q\"b\\s/b\u{08}f\u{0C}n\nr\rt\t")
        #expect(try decodedName(#""\u0000\u001f\u007F\u00e9\u4E2D\u202e""#) == "\u{00}\u{1F}\u{7F}é中\u{202E}")
    }

    @Test func surrogatePairsBecomeOneScalar() throws {
        #expect(try decodedName(#""\ud83d\ude00""#) == "😀")
        #expect(try decodedName(#""x\uD83D\uDE00y\ud83c\udff3""#) == "x😀y🏳")
    }

    @Test(arguments: [
        (#""\ud800""#, "\u{FFFD}"),
        (#""\udc00x""#, "\u{FFFD}x"),
        (#""\ud800\u0041""#, "\u{FFFD}A"),
        (#""\ud800\ud800\udc00""#, "\u{FFFD}\u{10000}"),
        (#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"),
        (#""a\ud83d""#, "a\u{FFFD}"),
    ])
    func loneSurrogatesBecomeReplacementCharacters(json: String, expected: String) throws {
        #expect(try decodedName(json) == expected)
    }

    @Test func invalidUTF8BytesBecomeReplacementCharacters() throws {
        var bytes = Array(#"{"seq":1,"t":2,"type":"task.spawned","task":3,"group":4,"name":"a"#.utf8)
        bytes += [0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80]  // invalid byte, bad continuation, encoded surrogate
        bytes += Array(#"z","site":{"file":"f","line":1}}"#.utf8)
        let decoded = try WireDecoder.decode(bytes)
        guard case .taskSpawned(let spawned)? = decoded.records.events.first?.kind else {
            Issue.record("not decoded: \(decoded.records)")
            return
        }
        #expect(spawned.name.hasPrefix("a\u{FFFD}"))
        #expect(spawned.name.hasSuffix("z"))
        #expect(!spawned.name.unicodeScalars.contains { (0xD800...0xDFFF).contains($0.value) })
    }

    @Test func whitespaceBetweenTokensIsAllowed() throws {
        let line = " \t{ \"seq\" : 1 ,\"t\":\t2 , \"type\" : \"dropped\" , \"count\" :  3 } \r"
        #expect(try decode(line).records.events == [Event(time: MonotonicTime(nanoseconds: 2), .dropped(Dropped(count: 3)))])
    }

    @Test func fieldsMayComeInAnyOrderAndTheLastDuplicateWins() throws {
        let line = #"{"count":1,"type":"dropped","t":2,"count":9,"seq":5}"#
        let decoded = try decode(line)
        #expect(decoded.records == [
            .diagnostic(WireDiagnostic(line: 1, kind: .missingHeader)),
            .event(seq: 5, Event(time: MonotonicTime(nanoseconds: 2), .dropped(Dropped(count: 9)))),
        ])
    }

    @Test func unknownFieldsOfEveryJSONTypeAreSkipped() throws {
        let extra = #""zNull":null,"zTrue":true,"zFalse":false,"zNum":-1.5e+10,"zStr":"a\"}\\u0041","#
            + #""zArr":[1,[2,{"a":[]}],"x",{}],"zObj":{"k":{"k":[{"deep":"\u00e9"}]}},"zEmpty":{},"#
        let line = #"{"seq":1,"t":2,\#(extra)"type":"heartbeat","produced":3,"dropped":4}"#
        let decoded = try decode(headerLine + "\n" + line)
        #expect(decoded.records.events == [Event(time: MonotonicTime(nanoseconds: 2), .heartbeat(Heartbeat(produced: 3, dropped: 4)))])
        #expect(decoded.counters.malformed == 0)
    }

    @Test func unknownFieldsInsideKnownObjectsAreSkipped() throws {
        let line = #"{"seq":1,"t":2,"type":"task.spawned","task":3,"group":4,"name":"n","site":{"column":7,"file":"f","line":1,"extra":[{}]}}"#
        guard case .taskSpawned(let spawned)? = try decode(line).records.events.first?.kind else {
            Issue.record("not decoded")
            return
        }
        #expect(spawned.site == SourceSite(file: "f", line: 1))
    }

    @Test func nullMeansAbsentForOptionalFields() throws {
        let line = #"{"seq":1,"t":2,"type":"group.opened","group":1,"name":"g","parentTask":null,"parentGroup":null,"site":{"file":"f","line":1},"policy":"collect-all","limit":null}"#
        guard case .groupOpened(let opened)? = try decode(line).records.events.first?.kind else {
            Issue.record("not decoded")
            return
        }
        #expect(opened.parentTask == nil && opened.parentGroup == nil && opened.limit == nil)
    }

    @Test func cancellationCausesAreObjects() throws {
        let base = #"{"seq":1,"t":2,"type":"group.closed","group":1,"outcome":"cancelled","faultCount":0,"childCount":2,"cancellation":"#
        let causes: [(String, CancellationCause)] = [
            (#"{"cause":"fault","task":12}"#, .fault(TaskID(12))),
            (#"{"cause":"parent-cancelled"}"#, .parentCancelled),
            (#"{"task":5,"cause":"requested"}"#, .requested),
        ]
        for (json, cause) in causes {
            guard case .groupClosed(let closed)? = try decode(base + json + "}").records.events.first?.kind else {
                Issue.record("not decoded: \(json)")
                continue
            }
            #expect(closed.cancellation == cause)
        }
    }

    @Test(arguments: [
        (#""t":1.0"#, "fraction"),
        (#""t":1e3"#, "fraction or exponent"),
        (#""t":18446744073709551616"#, "out of range"),
        (#""t":-1"#, "non-negative"),
        (#""t":01"#, "leading zero"),
        (#""t":"1""#, "expected an integer"),
        (#""t":true"#, "expected an integer"),
        (#""t":-"#, "expected an integer"),
    ])
    func integersMustBeIntegersInRange(field: String, reason: String) throws {
        let decoded = try decode(#"{"seq":1,\#(field),"type":"dropped","count":1}"#)
        #expect(decoded.counters.malformed == 1)
        guard case .malformed(let found)? = decoded.records.diagnostics.first?.kind else {
            Issue.record("no malformed diagnostic: \(decoded.records)")
            return
        }
        #expect(found.contains(reason))
    }

    @Test func signedFieldsAcceptTheirWholeRange() throws {
        let line = #"{"seq":1,"t":2,"type":"group.closed","group":1,"outcome":"ok","faultCount":-9223372036854775808,"childCount":9223372036854775807}"#
        guard case .groupClosed(let closed)? = try decode(line).records.events.first?.kind else {
            Issue.record("not decoded")
            return
        }
        #expect(closed.faultCount == .min && closed.childCount == .max)
        let overflow = #"{"seq":1,"t":2,"type":"group.closed","group":1,"outcome":"ok","faultCount":-9223372036854775809,"childCount":0}"#
        #expect(try decode(overflow).counters.malformed == 1)
    }

    @Test func missingRequiredFieldIsMalformedAndNamesTheField() throws {
        let decoded = try decode(#"{"seq":1,"t":2,"type":"task.started","group":1,"waitedNs":0}"#)
        #expect(decoded.records.diagnostics == [WireDiagnostic(line: 1, kind: .malformed(reason: "missing field 'task'"))])
    }

    @Test func knownFieldWithTheWrongTypeIsMalformed() throws {
        let decoded = try decode(#"{"seq":1,"t":2,"type":"task.started","task":"7","group":1,"waitedNs":0}"#)
        #expect(decoded.counters.malformed == 1)
        #expect(decoded.counters.events == 0)
    }

    @Test func unknownEnumValueIsMalformed() throws {
        let decoded = try decode(#"{"seq":1,"t":2,"type":"task.ended","task":1,"group":1,"status":"vanished","durationNs":0}"#)
        #expect(decoded.records.diagnostics.map(\.kind) == [.malformed(reason: #"unknown status "vanished""#)])
    }

    @Test func stacksKeepAtMostThirtyTwoFrames() throws {
        let frames = (0..<40).map { #"{"symbol":"f\#($0)","line":\#($0 + 1)}"# }.joined(separator: ",")
        let line = #"{"seq":1,"t":2,"type":"fault","task":1,"taskName":"t","group":1,"groupName":"g","site":{"file":"f","line":1},"kind":"error","errorType":"E","message":"m","startedAt":1,"endedAt":2,"stackOrigin":"recorded","stack":[\#(frames)]}"#
        guard case .faultRecorded(let fault)? = try decode(line).records.events.first?.kind else {
            Issue.record("not decoded")
            return
        }
        #expect(fault.stack.count == WireFormat.maxStackFrames)
        #expect(fault.stack.last == StackFrame(symbol: "f31", line: 32))
    }

    @Test func escapedKeysAreMatchedByTheirValue() throws {
        let line = #"{"se\u0071":1,"\u0074":2,"type":"dropp\u0065d","count":3}"#
        #expect(try decode(line).records.events == [Event(time: MonotonicTime(nanoseconds: 2), .dropped(Dropped(count: 3)))])
    }

    @Test func deepNestingIsRefusedWithoutRecursingWithoutBound() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let decoded = try decode(#"{"seq":1,"t":2,"type":"dropped","count":3,"x":\#(deep)}"#)
        guard case .malformed(let reason)? = decoded.records.diagnostics.first?.kind else {
            Issue.record("not malformed: \(decoded.records)")
            return
        }
        #expect(reason.hasPrefix("nesting deeper than 64"))
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(try decode(#"{"seq":1,"t":2,"type":"dropped","count":3,"x":\#(fine)}"#).counters.events == 1)
    }

    @Test(arguments: [
        #"{"seq":1,"t":2,"type":"dropped","count":3} x"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,}"#,
        #"{"seq":1 "t":2,"type":"dropped","count":3}"#,
        #"["seq",1]"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":"raw"#,
        "{\"seq\":1,\"t\":2,\"type\":\"dropped\",\"count\":3,\"x\":\"tab\there\"}",
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":"\q"}"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":"\u12"}"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":nul}"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":-}"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":1.}"#,
        #"{"seq":1,"t":2,"type":"dropped","count":3,"x":1e}"#,
    ])
    func invalidJSONIsMalformed(line: String) throws {
        let decoded = try decode(line)
        #expect(decoded.counters.malformed == 1)
        #expect(decoded.counters.events == 0)
    }
}
