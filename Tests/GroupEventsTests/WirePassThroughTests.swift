import GroupEvents
import PropertyBased
import Testing

/// `WireDecoder` in pass-through mode: event lines come out as the bytes that came in, with the
/// framing, the header and `seq` checked (what `safegroup record` stores).
@Suite struct WirePassThroughTests {
    /// Feeds `bytes` in chunks of `chunk` bytes; returns the stream put back together (headers
    /// re-encoded) and the records that were not lines.
    static func passThrough(_ bytes: [UInt8], chunk: Int, finish: Bool = true) throws -> (bytes: [UInt8], records: [WireRecord], lines: Int) {
        var decoder = WireDecoder(passThroughWithMaxLineLength: WireFormat.defaultMaxLineLength)
        var out: [UInt8] = []
        var records: [WireRecord] = []
        var lines = 0
        func drain() {
            while let read = decoder.nextPassThrough() {
                switch read {
                case .lines(let bytes, let count):
                    out.append(contentsOf: bytes)
                    lines += count
                case .record(let record):
                    if case .header(let header) = record { WireEncoder().encodeHeader(header, into: &out) }
                    records.append(record)
                }
            }
        }
        var from = 0
        while from < bytes.count {
            try decoder.feed(bytes[from..<min(bytes.count, from + chunk)])
            drain()
            from += chunk
        }
        if finish { try decoder.finish() }
        drain()
        return (out, records, lines)
    }

    @Test(arguments: [1, 7, 4096, 1 << 20])
    func eventLinesComeOutAsTheyCameInWhateverTheChunks(chunk: Int) throws {
        var rng: any SeededRandomNumberGenerator = Xoshiro(seed: (11, 22, 33, UInt64(chunk)))
        let events = (0..<(chunk == 1 ? 200 : 2000)).map { _ in randomEvent(using: &rng) }
        let stream = encodeStream(events)
        let (out, records, lines) = try Self.passThrough(stream, chunk: chunk)
        #expect(out == stream)
        #expect(lines == events.count)
        #expect(records.count == 1, "the header and nothing else: \(records.diagnostics)")
        // What decoding and encoding again (what `record` did before) writes is the same bytes.
        let decoded = try WireDecoder.decode(stream).records
        #expect(encodeStream(decoded.events) == stream)
    }

    @Test func aSeqThatDoesNotIncreaseIsReportedAndSkipped() throws {
        let text = [headerLine, startedLine(seq: 1), startedLine(seq: 5), startedLine(seq: 5), startedLine(seq: 3), startedLine(seq: 6),
                    headerLine, startedLine(seq: 1)].joined(separator: "\n") + "\n"
        let (out, records, lines) = try Self.passThrough(Array(text.utf8), chunk: 64)
        #expect(lines == 4)
        #expect(records.diagnostics.map(\.line) == [4, 5])
        #expect(records.diagnostics.map(\.kind) == [.malformed(reason: "seq 5 does not follow 5"), .malformed(reason: "seq 3 does not follow 5")])
        #expect(String(decoding: out, as: UTF8.self) == [headerLine, startedLine(seq: 1), startedLine(seq: 5), startedLine(seq: 6),
                                                         headerLine, startedLine(seq: 1)].joined(separator: "\n") + "\n")
    }

    @Test func framingIsCheckedAsInDecoding() throws {
        let started = startedLine(seq: 5)
        let reordered = #"{"t":1000,"seq":3,"type":"task.started","task":7,"group":1,"waitedNs":0}"#
        let text = [headerLine, "", "not json", startedLine(seq: 1), reordered, "{\"seq\":4," + String(repeating: "x", count: 300), started].joined(separator: "\n")
        var decoder = WireDecoder(passThroughWithMaxLineLength: 64 + headerLine.utf8.count)
        try decoder.feed(Array(text.utf8))
        try decoder.finish()
        var out: [UInt8] = []
        var diagnostics: [WireDiagnostic.Kind] = []
        while let read = decoder.nextPassThrough() {
            switch read {
            case .lines(let bytes, _): out.append(contentsOf: bytes)
            case .record(.diagnostic(let d)): diagnostics.append(d.kind)
            case .record: break
            }
        }
        // The blank line is skipped, "not json" reported, a reordered event passed as it came, the
        // over-long line skipped, and the torn last line (no newline) passed since it parses.
        #expect(String(decoding: out, as: UTF8.self) == [startedLine(seq: 1), reordered, started].joined(separator: "\n") + "\n")
        #expect(diagnostics.count == 2)
        #expect(decoder.counters.overLong == 1 && decoder.counters.malformed == 1 && decoder.counters.events == 3)
    }

    @Test func anUnreadableHeaderIsRefusedAsInDecoding() {
        let text = headerLine.replacingOccurrences(of: "\"\(WireFormat.version)\"", with: #""2.0""#) + "\n" + startedLine(seq: 1) + "\n"
        var decoder = WireDecoder(passThroughWithMaxLineLength: WireFormat.defaultMaxLineLength)
        #expect(throws: WireFormatError.self) { try decoder.feed(Array(text.utf8)) }
        #expect(decoder.nextPassThrough() == nil)
    }
}
