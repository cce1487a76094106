import Foundation
@testable import GroupEvents
import PropertyBased
import Testing

/// What a parser made of one line, comparable across the two parsers.
private enum Outcome: Equatable {
    case blank
    case header(WireHeader)
    case event(seq: UInt64, Event)
    case unknownType(String)
    case refused(WireFormatError.Code, String)
    case failure(String)

    init(_ parse: () throws(LineFailure) -> WireLine) {
        do {
            switch try parse() {
            case .blank: self = .blank
            case .header(let header): self = .header(header)
            case .event(let seq, let event): self = .event(seq: seq, event)
            case .unknownType(let type): self = .unknownType(type)
            case .refused(let code, let found): self = .refused(code, found)
            }
        } catch {
            self = .failure(error.reason)
        }
    }
}

/// The general parser alone.
private func general(_ line: [UInt8]) -> Outcome {
    Outcome { () throws(LineFailure) in
        try line.withUnsafeBufferPointer { (bytes) throws(LineFailure) in try WireLineParser.parse(bytes) }
    }
}

/// What the decoder does: the fast path first, the general parser when it gives up.
private func decoder(_ line: [UInt8], _ strings: inout StringTable) -> Outcome {
    Outcome { () throws(LineFailure) in
        try line.withUnsafeBufferPointer { (bytes) throws(LineFailure) in try WireLineParser.parse(bytes, strings: &strings) }
    }
}

/// Whether the fast path alone reads the line.
private func fastPathTakes(_ line: [UInt8], _ strings: inout StringTable) -> Bool {
    line.withUnsafeBufferPointer { bytes in
        guard let base = bytes.baseAddress else { return false }
        var scanner = JSONScanner(base: base, count: bytes.count)
        return (try? WireFastPath.event(&scanner, strings: &strings)) != nil
    }
}

/// One encoded line, without its newline.
private func lineBytes(_ event: Event, seq: UInt64) -> [UInt8] {
    var out: [UInt8] = []
    WireEncoder().encode(event, seq: seq, into: &out)
    out.removeLast()
    return out
}

@Suite struct WireFastPathTests {
    @Test func fastPathAgreesWithTheGeneralParserOnRandomEvents() async {
        var strings = StringTable()
        var taken = 0
        await propertyCheck(count: 500, input: Gen.event) { event in
            let line = lineBytes(event, seq: 7)
            #expect(decoder(line, &strings) == general(line))
            #expect(general(line) == .event(seq: 7, event))
            if fastPathTakes(line, &strings) { taken += 1 }
        }
        // Edge-case numbers (20 digits, negative limits) go the long way; most lines do not.
        #expect(taken > 100)
    }

    @Test func fastPathTakesEveryLineOfARealisticStream() {
        var strings = StringTable()
        let frames = (0..<8).map { StackFrame(symbol: "Checkout.PaymentClient.charge(card:amount:) #\($0)", file: "Checkout/PaymentClient.swift", line: UInt32(40 + $0)) }
        let site = SourceSite(file: "Checkout/Handler.swift", line: 57)
        let events: [Event.Kind] = [
            .groupOpened(GroupOpened(group: GroupID(3), name: "checkout-request", parentTask: TaskID(41), parentGroup: GroupID(2),
                                     site: site, policy: .cancelOnFirstFault, limit: 8)),
            .groupOpened(GroupOpened(group: GroupID(4), name: "nightly-sync", site: site, policy: .collectAll)),
            .taskSpawned(TaskSpawned(task: TaskID(42), group: GroupID(3), name: "charge-card", site: site)),
            .taskSpawned(TaskSpawned(task: TaskID(43), group: GroupID(3), name: "isolated-one", site: site, isolated: true)),
            .taskStarted(TaskStarted(task: TaskID(42), group: GroupID(3), waitedNanoseconds: 1_520)),
            .faultRecorded(FaultInfo(task: TaskID(42), taskName: "charge-card", group: GroupID(3), groupName: "checkout-request",
                                     site: site, kind: .error, errorType: "Checkout.PaymentError",
                                     message: "card declined: \"insufficient funds\"\n\u{1B}[31m",
                                     startedAt: MonotonicTime(nanoseconds: 1_250_032_720), endedAt: MonotonicTime(nanoseconds: 1_262_500_000),
                                     stack: frames)),
            .faultRecorded(FaultInfo(task: TaskID(44), taskName: "crasher", group: GroupID(3), groupName: "g", site: site, kind: .crash,
                                     errorType: "", message: "signal 11", startedAt: MonotonicTime(nanoseconds: 0),
                                     endedAt: MonotonicTime(nanoseconds: 1), stackOrigin: "worker", stack: [], signal: 11)),
            .taskEnded(TaskEnded(task: TaskID(42), group: GroupID(3), status: .failed, durationNanoseconds: 12_467_280)),
            .taskEnded(TaskEnded(task: TaskID(43), group: GroupID(3), status: .timedOut, durationNanoseconds: 9, wasSlowToCancel: true)),
            .slowToCancel(SlowToCancel(task: TaskID(43), group: GroupID(3), sinceCancelNanoseconds: 2_000_000_000)),
            .groupClosed(GroupClosed(group: GroupID(3), outcome: .faulted, faultCount: 1, childCount: 2, cancellation: .fault(TaskID(42)))),
            .groupClosed(GroupClosed(group: GroupID(4), outcome: .cancelled, faultCount: 0, childCount: 0, cancellation: .parentCancelled)),
            .groupClosed(GroupClosed(group: GroupID(5), outcome: .ok, faultCount: 0, childCount: 1, cancellation: .requested)),
            .groupClosed(GroupClosed(group: GroupID(6), outcome: .ok, faultCount: 0, childCount: 1)),
            .dropped(Dropped(count: 17)),
            .heartbeat(Heartbeat(produced: 1_000, dropped: 17, viewers: 2)),
            .heartbeat(Heartbeat(produced: 0, dropped: 0)),
        ]
        for (index, kind) in events.enumerated() {
            // Times from 1 digit to 19, to cross every digit count of the integer reader.
            let time = index < 19 ? UInt64(String(repeating: "9", count: index + 1))! : UInt64(index)
            let event = Event(time: MonotonicTime(nanoseconds: time), kind)
            let line = lineBytes(event, seq: UInt64(index + 1))
            #expect(fastPathTakes(line, &strings), "\(String(decoding: line, as: UTF8.self))")
            #expect(decoder(line, &strings) == .event(seq: UInt64(index + 1), event))
            // Twice: the second time its strings come from the table.
            #expect(decoder(line, &strings) == .event(seq: UInt64(index + 1), event))
        }
    }

    @Test func reorderedExtraDuplicateAndSpacedLinesReadAsTheGeneralParserReadsThem() async {
        var strings = StringTable()
        await propertyCheck(count: 300, input: Gen.event) { event in
            let line = String(decoding: lineBytes(event, seq: 12), as: UTF8.self)
            // `{"seq":12,` starts every line the encoder writes.
            let rest = line.dropFirst(#"{"seq":12,"#.utf8.count).dropLast()
            let head = String(line.dropLast())
            let tail = String(line.dropFirst())
            var variants: [String] = []
            variants.append("{" + String(rest) + #","seq":12}"#)           // seq last
            variants.append(#"{"zzz":[1,{"a":null}],"# + tail)             // an unknown field first
            variants.append(head + #","unknownField":"x"}"#)               // an unknown field last
            variants.append(head + #","seq":99}"#)                         // a duplicate key: the last wins
            variants.append(head + #","t":1}"#)
            variants.append("{ " + tail)                                     // whitespace
            variants.append(line + " \r")
            variants.append(line.replacingOccurrences(of: #""seq":12"#, with: #""seq":012"#))
            variants.append(line.replacingOccurrences(of: #""seq":12"#, with: #""seq":12.0"#))
            variants.append(line.replacingOccurrences(of: #""seq":12"#, with: #""s\u0065q":12"#))
            for variant in variants {
                let bytes = Array(variant.utf8)
                #expect(decoder(bytes, &strings) == general(bytes), "\(variant)")
            }
            #expect(general(Array(variants[0].utf8)) == .event(seq: 12, event))
            #expect(general(Array(variants[3].utf8)) == .event(seq: 99, event))
        }
    }

    @Test func damagedLinesReadAsTheGeneralParserReadsThem() async {
        var strings = StringTable()
        await propertyCheck(count: 300, input: Gen.event) { event in
            var rng = Xoshiro(seed: (event.time.rawValue, 0x9E37_79B9_7F4A_7C15, 1, 2))
            let line = lineBytes(event, seq: 3)
            for _ in 0..<20 {
                var damaged = line
                switch Int.random(in: 0..<3, using: &rng) {
                case 0:
                    // A bit flip anywhere.
                    let index = Int.random(in: 0..<damaged.count, using: &rng)
                    damaged[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 1:
                    // Torn at any byte.
                    damaged.removeLast(Int.random(in: 1...damaged.count, using: &rng))
                default:
                    // A byte replaced by a digit, a quote, a backslash or a high byte.
                    let index = Int.random(in: 0..<damaged.count, using: &rng)
                    damaged[index] = [UInt8(ascii: "0"), UInt8(ascii: "9"), UInt8(ascii: "\""), UInt8(ascii: "\\"), 0xFF, 0xC3]
                        .randomElement(using: &rng)!
                }
                #expect(decoder(damaged, &strings) == general(damaged))
            }
        }
    }

    @Test func integersOfEveryLengthAndAtTheEdges() {
        var strings = StringTable()
        var texts = ["0", "1", "9", "10", "00", "01", "-0", "-1", "18446744073709551615", "18446744073709551616",
                     "9999999999999999999", "10000000000000000000", "99999999999999999999", "1e3", "1.5", "1E3"]
        for digits in 1...21 {
            texts.append(String(repeating: "9", count: digits))
            texts.append("1" + String(repeating: "0", count: digits - 1))
            texts.append("12345678901234567890123".prefix(digits) + "")
        }
        for text in texts {
            for line in [#"{"seq":"# + text + #","t":5,"type":"dropped","count":1}"#,
                         #"{"seq":1,"t":5,"type":"dropped","count":"# + text + "}",
                         #"{"seq":1,"t":"# + text + #","type":"heartbeat","produced":1,"dropped":2,"viewers":"# + text + "}"] {
                let bytes = Array(line.utf8)
                #expect(decoder(bytes, &strings) == general(bytes), "\(line)")
            }
        }
    }

    @Test func stringTableReturnsExactlyWhatDecodingGives() {
        var table = StringTable()
        let samples: [[UInt8]] = [
            Array("Checkout/Handler.swift".utf8),
            Array("abcdefgh-X-12345678".utf8),
            Array("abcdefgh-Y-12345678".utf8),  // same length, head and tail: the same hash
            Array("short".utf8),
            [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0xFF, 0x68, 0x69],  // invalid UTF-8
            Array("日本語テキスト and more".utf8),
            Array(repeating: UInt8(ascii: "x"), count: StringTable.maxBytes + 1),
        ]
        for _ in 0..<3 {
            for bytes in samples + samples.reversed() {
                let expected = String(decoding: bytes, as: UTF8.self)
                let got = bytes.withUnsafeBufferPointer { table.string($0) }
                #expect(got == expected)
                #expect(Array(got.utf8) == Array(expected.utf8))
            }
        }
    }
}
