/// Reads an event stream from chunks of bytes, as they arrive from a socket or a file.
///
/// Feed it chunks with `feed(_:)`, take what it decoded with
/// ``next()``, and call ``finish()`` at the end of the input:
///
/// ```swift
/// var decoder = WireDecoder()
/// try decoder.feed(chunk)
/// while let record = decoder.next() { … }
/// ```
///
/// Lines are parsed in place in the chunk; only a line that spans chunks is copied, and
/// only up to ``maxLineLength`` bytes: a longer line is reported as over-long and its bytes
/// are dropped until its newline, so ``bufferedByteCount`` never exceeds ``maxLineLength``.
///
/// The decoder reads on through bad lines, reporting each as a ``WireDiagnostic``: malformed
/// and over-long lines, event types from a newer minor version (skipped), a torn last line
/// (at ``finish()``), and event lines before any header (read anyway, reported once). The
/// only thing it refuses is a header it cannot read (``WireFormatError``): from then on it
/// decodes nothing more, and every `feed` and `finish` throws that error again.
public struct WireDecoder: Sendable {
    /// Running totals of what the decoder has read.
    public struct Counters: Hashable, Sendable {
        /// Lines begun, including blank, malformed, over-long and torn ones.
        public var lines = 0
        public var headers = 0
        public var events = 0
        public var malformed = 0
        public var overLong = 0
        /// Event lines skipped because this build does not know their type.
        public var unknownTypes = 0
        public var torn = 0

        public init() {}
    }

    /// The longest line, in bytes without its newline, that the decoder reads.
    public let maxLineLength: Int
    /// What the decoder has read so far.
    public private(set) var counters = Counters()

    /// The part of an unfinished line that the decoder holds, waiting for its newline.
    public var bufferedByteCount: Int { partialLine.count }

    private var partialLine: [UInt8] = []
    /// Set while dropping the rest of an over-long line.
    private var isSkippingLine = false
    private var sawHeader = false
    private var reportedMissingHeader = false
    private var failure: WireFormatError?
    /// Records decoded, in order; those before `taken` have been taken (moved out, leaving nil),
    /// so ``next()`` moves each record out instead of copying it (a copy retains every string
    /// of an event).
    private var decoded: [WireRecord?] = []
    /// How many records of `decoded` ``next()`` has taken.
    private var taken = 0
    /// Strings recently decoded, shared between the lines that repeat them.
    private var strings = StringTable()
    /// In pass-through mode: what was read and not taken, in order; the event lines accepted
    /// since the last record, back to back with their newlines; the `seq` of the last one.
    private let passesThrough: Bool
    private var passed: [PassThrough] = []
    private var passedTaken = 0
    private var passedLines: [UInt8] = []
    private var passedLineCount = 0
    private var lastPassedSeq: UInt64?

    /// A decoder that reads lines of up to `maxLineLength` bytes.
    public init(maxLineLength: Int = WireFormat.defaultMaxLineLength) {
        self.maxLineLength = max(1, maxLineLength)
        self.passesThrough = false
    }

    /// A decoder in pass-through mode: event lines are not decoded but handed over as the bytes
    /// that came, by ``nextPassThrough()``, for a reader that stores them (`safegroup record`).
    ///
    /// It checks what storing needs: the framing (whole lines, the line cap, a torn last line,
    /// as in decoding); the header (decoded, and refused, as in decoding); and `seq`, which an
    /// event line begins with as the encoder writes it (`{"seq":N,`) and which must increase
    /// after a header. A line that does not begin so is decoded: an event is passed through
    /// as it came, anything else is reported as in decoding. A line whose `seq` does not
    /// increase is reported as malformed and skipped. The rest of a line is not checked.
    public init(passThroughWithMaxLineLength maxLineLength: Int) {
        self.maxLineLength = max(1, maxLineLength)
        self.passesThrough = true
    }

    /// What a pass-through decoder read: event lines as they came, or a header or a diagnostic.
    public enum PassThrough: Sendable {
        /// `count` whole event lines, each with its newline.
        case lines([UInt8], count: Int)
        /// A header or a diagnostic, never an event.
        case record(WireRecord)
    }

    /// The next thing a pass-through decoder read, in stream order: the event lines between two
    /// records come as one ``PassThrough/lines(_:count:)``.
    public mutating func nextPassThrough() -> PassThrough? {
        if passedTaken < passed.count {
            passedTaken += 1
            return passed[passedTaken - 1]
        }
        if passedTaken > 0 {
            passed.removeAll(keepingCapacity: true)
            passedTaken = 0
        }
        guard passedLineCount > 0 else { return nil }
        defer { passedLines = []; passedLineCount = 0 }
        return .lines(passedLines, count: passedLineCount)
    }

    /// Reads a chunk of the stream.
    ///
    /// - Throws: ``WireFormatError`` when the chunk holds a header this build cannot read.
    ///   Records decoded before that header can still be taken with ``next()``.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(WireFormatError) {
        consume(bytes.assumingMemoryBound(to: UInt8.self))
        if let failure { throw failure }
    }

    /// Reads a chunk of the stream from any sequence of bytes; an `[UInt8]` is read in place.
    ///
    /// - Throws: ``WireFormatError`` when the chunk holds a header this build cannot read.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(WireFormatError) {
        let readInPlace: Void? = bytes.withContiguousStorageIfAvailable { consume($0) }
        if readInPlace == nil {
            Array(bytes).withUnsafeBufferPointer { consume($0) }
        }
        if let failure { throw failure }
    }

    /// Ends the input: the last line, if it has no newline, is read now.
    ///
    /// A last line that parses is accepted; one that does not is reported as
    /// ``WireDiagnostic/Kind/tornLastLine`` (the producer stopped mid-write), not as malformed.
    public mutating func finish() throws(WireFormatError) {
        if failure == nil, !partialLine.isEmpty {
            let outcome = Result { () throws(LineFailure) in
                try partialLine.withUnsafeBufferPointer { (line) throws(LineFailure) in try WireLineParser.parse(line, strings: &strings) }
            }
            switch outcome {
            case .success(.event(let seq, _)) where passesThrough:
                let line = partialLine
                line.withUnsafeBufferPointer { pass($0, seq: seq) }
            case .success(let line): deliver(line)
            case .failure:
                counters.torn += 1
                report(.tornLastLine)
            }
        }
        partialLine.removeAll()
        isSkippingLine = false
        if let failure { throw failure }
    }

    /// The next decoded record, or nil when everything fed so far has been taken.
    public mutating func next() -> WireRecord? {
        guard taken < decoded.count else {
            if taken > 0 { releaseTaken() }
            return nil
        }
        taken += 1
        return decoded[taken - 1].take()
    }

    /// Forgets the records, all taken: keeps a small buffer for the next ones, gives a big one back.
    private mutating func releaseTaken() {
        decoded.removeAll(keepingCapacity: decoded.capacity <= 4096)
        taken = 0
    }

    /// Decodes a whole stream held in memory, as if fed in one chunk and finished.
    ///
    /// - Throws: ``WireFormatError`` when the stream has a header this build cannot read.
    public static func decode(
        _ bytes: some Sequence<UInt8>, maxLineLength: Int = WireFormat.defaultMaxLineLength
    ) throws(WireFormatError) -> (records: [WireRecord], counters: Counters) {
        var decoder = WireDecoder(maxLineLength: maxLineLength)
        try decoder.feed(bytes)
        try decoder.finish()
        return (decoder.decoded.compactMap { $0 }, decoder.counters)
    }

    // MARK: Framing

    private mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) {
        if taken > 0, taken == decoded.count { releaseTaken() }
        var start = 0
        while failure == nil, start < chunk.count {
            guard let newline = Self.firstNewline(in: chunk, from: start) else {
                hold(UnsafeBufferPointer(rebasing: chunk[start...]))
                return
            }
            let piece = UnsafeBufferPointer(rebasing: chunk[start..<newline])
            start = newline + 1
            if isSkippingLine {
                isSkippingLine = false
            } else if partialLine.isEmpty {
                counters.lines += 1
                if piece.count > maxLineLength {
                    reportOverLong()
                } else {
                    parse(piece)
                }
            } else if partialLine.count + piece.count > maxLineLength {
                reportOverLong()
                releasePartialLine()
            } else {
                partialLine.append(contentsOf: piece)
                if passesThrough {
                    let line = partialLine
                    line.withUnsafeBufferPointer { parse($0) }
                } else {
                    let outcome = Result { () throws(LineFailure) in
                        try partialLine.withUnsafeBufferPointer { (line) throws(LineFailure) in try WireLineParser.parse(line, strings: &strings) }
                    }
                    handle(outcome)
                }
                releasePartialLine()
            }
        }
    }

    /// Keeps the start of a line whose newline is in a later chunk, up to the line limit.
    private mutating func hold(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !isSkippingLine else { return }
        if partialLine.isEmpty { counters.lines += 1 }
        if partialLine.count + bytes.count > maxLineLength {
            reportOverLong()
            releasePartialLine()
            isSkippingLine = true
        } else {
            partialLine.append(contentsOf: bytes)
        }
    }

    private mutating func releasePartialLine() {
        // Keep a small buffer for the next spanning line; give a big one back.
        partialLine.removeAll(keepingCapacity: partialLine.capacity <= 64 * 1024)
    }

    /// The index of the first `\n` at or after `start`, eight bytes at a time.
    private static func firstNewline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var index = start
        while index + 8 <= bytes.count {
            if let offset = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self).firstNewlineByte {
                return index + offset
            }
            index += 8
        }
        while index < bytes.count {
            if base[index] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }

    // MARK: Lines

    private mutating func parse(_ line: UnsafeBufferPointer<UInt8>) {
        if passesThrough {
            if let seq = Self.leadingSeq(line) {
                pass(line, seq: seq)
                return
            }
            let outcome = Result { () throws(LineFailure) in try WireLineParser.parse(line) }
            if case .success(.event(let seq, _)) = outcome {
                pass(line, seq: seq)
            } else {
                handle(outcome)
            }
            return
        }
        // The encoder's own layout first, straight into a record; anything else the long way.
        if let base = line.baseAddress {
            var scanner = JSONScanner(base: base, count: line.count)
            if let fast = try? WireFastPath.event(&scanner, strings: &strings) {
                noteEventLine()
                counters.events += 1
                decoded.append(.event(seq: fast.seq, fast.event))
                return
            }
        }
        handle(Result { () throws(LineFailure) in try WireLineParser.parse(line) })
    }

    private mutating func handle(_ outcome: consuming Result<WireLine, LineFailure>) {
        switch consume outcome {
        case .success(let line):
            deliver(line)
        case .failure(let failure):
            counters.malformed += 1
            report(.malformed(reason: failure.reason))
        }
    }

    private mutating func deliver(_ line: consuming WireLine) {
        switch consume line {
        case .blank:
            break
        case .header(let header):
            sawHeader = true
            counters.headers += 1
            lastPassedSeq = nil
            append(.header(header))
        case .event(let seq, let event):
            noteEventLine()
            counters.events += 1
            append(.event(seq: seq, event))
        case .unknownType(let type):
            noteEventLine()
            counters.unknownTypes += 1
            report(.unknownType(type))
        case .refused(let code, let found):
            failure = WireFormatError(code: code, found: found, line: counters.lines)
        }
    }

    /// Reports, once, that events came before any header: they are read all the same, since
    /// a stream cut at its start (a capture joined late, a truncated file) is still worth reading.
    private mutating func noteEventLine() {
        guard !sawHeader, !reportedMissingHeader else { return }
        reportedMissingHeader = true
        report(.missingHeader)
    }

    private mutating func reportOverLong() {
        counters.overLong += 1
        report(.overLong(limit: maxLineLength))
    }

    private mutating func append(_ record: WireRecord) {
        guard passesThrough else {
            decoded.append(record)
            return
        }
        if passedLineCount > 0 {
            passed.append(.lines(passedLines, count: passedLineCount))
            passedLines = []
            passedLineCount = 0
        }
        passed.append(.record(record))
    }

    // MARK: Pass-through

    /// Takes `line` (without its newline) as it is, once its `seq` follows the last one.
    private mutating func pass(_ line: UnsafeBufferPointer<UInt8>, seq: UInt64) {
        if let last = lastPassedSeq, seq <= last {
            counters.malformed += 1
            report(.malformed(reason: "seq \(seq) does not follow \(last)"))
            return
        }
        noteEventLine()
        counters.events += 1
        lastPassedSeq = seq
        passedLines.append(contentsOf: line)
        passedLines.append(UInt8(ascii: "\n"))
        passedLineCount += 1
    }

    /// The `seq` of a line that begins `{"seq":N,` as the encoder writes it, else nil.
    private static func leadingSeq(_ line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let prefix: StaticString = #"{"seq":"#
        let length = prefix.utf8CodeUnitCount
        guard line.count > length + 1 else { return nil }
        for i in 0..<length where line[i] != prefix.utf8Start[i] { return nil }
        var value: UInt64 = 0
        var index = length
        while index < line.count, index - length <= 20 {
            let byte = line[index]
            if byte == UInt8(ascii: ",") { return index > length ? value : nil }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
            index += 1
        }
        return nil
    }

    private mutating func report(_ kind: WireDiagnostic.Kind) {
        append(.diagnostic(WireDiagnostic(line: counters.lines, kind: kind)))
    }
}
