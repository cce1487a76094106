import GroupEvents
import SystemCalls

/// Prints the records `dump` reads: text or canonical NDJSON on standard output,
/// diagnostics on standard error.
struct RecordPrinter {
    let json: Bool
    /// The source's name, sanitized, for messages on standard error.
    let source: String
    private var formatter = EventFormatter()
    private let encoder = WireEncoder()
    private var output = OutputStream.standardOutput
    private var line: [UInt8] = []

    init(json: Bool, source: String) {
        self.json = json
        self.source = source
    }

    /// Prints every record the decoder holds.
    mutating func printAll(from decoder: inout WireDecoder) throws(PosixError) {
        while let record = decoder.next() { try print(record) }
    }

    mutating func print(_ record: WireRecord) throws(PosixError) {
        switch record {
        case .diagnostic(let note):
            // Diagnostics quote the stream only through WireDiagnostic.printable: ASCII alone.
            try output.flush()
            reportToStandardError("\(source): \(note)")
        case .header(let header):
            formatter.startSession()
            if json {
                line.removeAll(keepingCapacity: true)
                encoder.encodeHeader(header, into: &line)
                try output.withBuffer { TerminalSafeJSON.append(line, to: &$0) }
            } else {
                try output.appendLine(header.summary)
            }
        case .event(let seq, let event):
            if json {
                line.removeAll(keepingCapacity: true)
                encoder.encode(event, seq: seq, into: &line)
                try output.withBuffer { TerminalSafeJSON.append(line, to: &$0) }
            } else {
                for line in formatter.lines(seq: seq, event) { try output.appendLine(line) }
            }
        }
    }

    mutating func flush() throws(PosixError) { try output.flush() }

    /// The closing summary on standard error: what was read and what was skipped.
    func summarize(_ counters: WireDecoder.Counters) {
        var text = "\(source): \(counters.lines) lines, \(counters.headers) \(counters.headers == 1 ? "header" : "headers"), \(counters.events) events"
        let skipped = [(counters.malformed, "malformed"), (counters.overLong, "over-long"),
                       (counters.unknownTypes, "of unknown type"), (counters.torn, "torn")]
            .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        text += skipped.isEmpty ? "; none skipped" : "; skipped \(skipped.joined(separator: ", "))"
        reportToStandardError(text)
    }
}
