import GroupEvents
import PropertyBased
import Testing

/// The decoder as a stream reader: chunks, line numbers, versions, over-long and torn lines.
@Suite struct WireDecoderStreamTests {
    @Test func chunkBoundariesDoNotChangeWhatIsDecoded() async throws {
        let events = (0..<30).map { index in
            Event(time: MonotonicTime(nanoseconds: UInt64(index)), .taskSpawned(TaskSpawned(
                task: TaskID(UInt64(index)), group: GroupID(1), name: "task \(index) é😀\n", site: fixedSite)))
        }
        let stream = encodeStream(events)
        let whole = try WireDecoder.decode(stream)
        await propertyCheck(count: 100, input: Gen.int(in: 1...300).array(of: 1...40)) { sizes in
            var decoder = WireDecoder()
            var records: [WireRecord] = []
            var offset = 0
            var turn = 0
            while offset < stream.count {
                let end = min(stream.count, offset + sizes[turn % sizes.count])
                try decoder.feed(stream[offset..<end])
                while let record = decoder.next() { records.append(record) }
                offset = end
                turn += 1
            }
            try decoder.finish()
            while let record = decoder.next() { records.append(record) }
            #expect(records == whole.records)
            #expect(decoder.counters == whole.counters)
        }
    }

    @Test func malformedLinesAreReportedWithTheirLineNumberAndSkipped() throws {
        let text = [headerLine, startedLine(seq: 1), "not json", "", startedLine(seq: 2), #"{"seq":1.5}"#, startedLine(seq: 3)]
            .joined(separator: "\n") + "\n"
        let decoded = try decode(text)
        #expect(decoded.records.diagnostics.map(\.line) == [3, 6])
        #expect(decoded.records.events.count == 3)
        #expect(decoded.counters.lines == 7)
        #expect(decoded.counters.malformed == 2)
        #expect(decoded.counters.events == 3)
    }

    @Test func unknownEventTypesAreSkippedAndCounted() throws {
        let text = [
            headerLine,
            #"{"seq":1,"t":5,"type":"snapshot.begin","groups":3,"nested":{"a":[1,2]}}"#,
            startedLine(seq: 2),
            #"{"seq":3,"t":6,"type":"snapshot.end"}"#,
        ].joined(separator: "\n")
        let decoded = try decode(text)
        #expect(decoded.records.diagnostics == [
            WireDiagnostic(line: 2, kind: .unknownType("snapshot.begin")),
            WireDiagnostic(line: 4, kind: .unknownType("snapshot.end")),
        ])
        #expect(decoded.counters.unknownTypes == 2)
        #expect(decoded.counters.malformed == 0)
        #expect(decoded.counters.events == 1)
    }

    @Test func eventsBeforeAnyHeaderAreReadAndReportedOnce() throws {
        let decoded = try decode([startedLine(seq: 1), startedLine(seq: 2), headerLine, startedLine(seq: 3)].joined(separator: "\n"))
        #expect(decoded.records.diagnostics == [WireDiagnostic(line: 1, kind: .missingHeader)])
        #expect(decoded.records.events.count == 3)
        #expect(decoded.counters.headers == 1)
    }

    @Test func unknownMajorVersionIsRefusedWithAClearError() throws {
        let header = headerLine.replacingOccurrences(of: "\"\(WireFormat.version)\"", with: #""2.0""#)
        var decoder = WireDecoder()
        #expect(throws: WireFormatError(code: .unsupportedVersion, found: "2.0", line: 1)) {
            try decoder.feed(Array((header + "\n" + startedLine(seq: 1) + "\n").utf8))
        }
        #expect(decoder.next() == nil)
        #expect(WireFormatError(code: .unsupportedVersion, found: "2.0", line: 1).description
            == "unsupported wire format version 2.0 (this safegroup reads 1.x; upgrade safegroup)")
        // The decoder stays stopped: later input is refused with the same error.
        #expect(throws: WireFormatError.self) { try decoder.feed(Array((startedLine(seq: 2) + "\n").utf8)) }
        #expect(throws: WireFormatError.self) { try decoder.finish() }
    }

    @Test func higherMinorVersionIsAccepted() throws {
        let header = headerLine.replacingOccurrences(of: "\"\(WireFormat.version)\"", with: #""1.7""#)
        let decoded = try decode(header + "\n" + startedLine(seq: 1))
        #expect(decoded.records.headers.map(\.version) == [WireVersion(major: 1, minor: 7)])
        #expect(decoded.counters.events == 1)
    }

    @Test(arguments: [#""1""#, #""one.two""#, #""1.0.0""#, #""""#, #"".1""#])
    func unreadableVersionIsRefused(version: String) throws {
        let header = headerLine.replacingOccurrences(of: "\"\(WireFormat.version)\"", with: version)
        #expect(throws: WireFormatError.self) { try decode(header) }
        do {
            _ = try decode(header)
        } catch let error as WireFormatError {
            #expect(error.code == .unreadableVersion)
        }
    }

    @Test func anotherFormatIsRefused() throws {
        let header = headerLine.replacingOccurrences(of: "safegroup-events", with: #"other-events\u001b[2J"#)
        do {
            _ = try decode(startedLine(seq: 1) + "\n" + header)
            Issue.record("another format was accepted")
        } catch let error as WireFormatError {
            #expect(error.code == .notAnEventStream)
            #expect(error.line == 2)
            #expect(!error.description.contains("\u{1B}"))
        }
    }

    @Test func tornLastLineIsReportedAsTornNotMalformed() throws {
        let text = headerLine + "\n" + startedLine(seq: 1) + "\n" + #"{"seq":2,"t":1000,"type":"task.sta"#
        let decoded = try WireDecoder.decode(Array(text.utf8))
        #expect(decoded.records.diagnostics == [WireDiagnostic(line: 3, kind: .tornLastLine)])
        #expect(decoded.counters.torn == 1)
        #expect(decoded.counters.malformed == 0)
        #expect(decoded.counters.events == 1)
    }

    @Test func completeLastLineWithoutNewlineIsAccepted() throws {
        let decoded = try WireDecoder.decode(Array((headerLine + "\n" + startedLine(seq: 1)).utf8))
        #expect(decoded.records.events.count == 1)
        #expect(decoded.counters.torn == 0)
    }

    @Test func overLongLineIsSkippedAndCountedAndTheNextLineIsRead() throws {
        let long = #"{"seq":1,"t":1,"type":"dropped","count":1,"pad":""# + String(repeating: "x", count: 200) + #""}"#
        let decoded = try decode([headerLine, long, startedLine(seq: 2)].joined(separator: "\n"), maxLineLength: 150)
        #expect(decoded.records.diagnostics == [WireDiagnostic(line: 2, kind: .overLong(limit: 150))])
        #expect(decoded.counters.overLong == 1)
        #expect(decoded.records.events.count == 1)
    }

    @Test func hugeLineIsSkippedWithoutBeingBuffered() throws {
        let limit = 1 << 20
        let chunkSize = 64 * 1024
        var decoder = WireDecoder(maxLineLength: limit)
        try decoder.feed(Array((headerLine + "\n").utf8))
        var chunk = [UInt8](repeating: UInt8(ascii: "x"), count: chunkSize)
        chunk.replaceSubrange(0..<8, with: Array(#"{"pad":""#.utf8))
        var largestBuffer = 0
        for index in 0..<(50 * 1024 * 1024 / chunkSize) {
            try decoder.feed(chunk)
            largestBuffer = max(largestBuffer, decoder.bufferedByteCount)
            if index == 0 { chunk.replaceSubrange(0..<8, with: Array("xxxxxxxx".utf8)) }
        }
        try decoder.feed(Array(("\"}\n" + startedLine(seq: 1) + "\n").utf8))
        try decoder.finish()
        var records: [WireRecord] = []
        while let record = decoder.next() { records.append(record) }
        #expect(largestBuffer <= limit)
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.counters.overLong == 1)
        #expect(records.diagnostics == [WireDiagnostic(line: 2, kind: .overLong(limit: limit))])
        #expect(records.events.count == 1)
        #expect(decoder.counters.lines == 3)
    }

    @Test func nextIsEmptyUntilALineIsComplete() throws {
        var decoder = WireDecoder()
        let line = Array((startedLine(seq: 1) + "\n").utf8)
        try decoder.feed(line.dropLast(10))
        #expect(decoder.next() == nil)
        #expect(decoder.bufferedByteCount == line.count - 10)
        try decoder.feed(line.suffix(10))
        #expect(decoder.next() == .diagnostic(WireDiagnostic(line: 1, kind: .missingHeader)))
        if case .event(let seq, _)? = decoder.next() { #expect(seq == 1) } else { Issue.record("no event") }
        #expect(decoder.next() == nil)
    }
}
