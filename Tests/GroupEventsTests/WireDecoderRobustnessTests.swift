import GroupEvents
import PropertyBased
import Testing

/// No byte sequence makes the decoder crash, hang or report nonsense.
@Suite struct WireDecoderRobustnessTests {
    static let sampleEvents: [Event] = [
        Event(time: MonotonicTime(nanoseconds: 10), .groupOpened(GroupOpened(group: GroupID(1), name: "checkout", site: fixedSite, policy: .cancelOnFirstFault, limit: 4))),
        Event(time: MonotonicTime(nanoseconds: 11), .taskSpawned(TaskSpawned(task: TaskID(1), group: GroupID(1), name: "charge \"card\"", site: fixedSite))),
        Event(time: MonotonicTime(nanoseconds: 12), .faultRecorded(FaultInfo(
            task: TaskID(1), taskName: "charge", group: GroupID(1), groupName: "checkout", site: fixedSite, kind: .error,
            errorType: "PaymentError", message: "declined\n😀", startedAt: MonotonicTime(nanoseconds: 11),
            endedAt: MonotonicTime(nanoseconds: 12), stack: [StackFrame(symbol: "charge()", file: "Pay.swift", line: 3)], signal: 6))),
        Event(time: MonotonicTime(nanoseconds: 13), .groupClosed(GroupClosed(group: GroupID(1), outcome: .faulted, faultCount: 1, childCount: 1, cancellation: .fault(TaskID(1))))),
    ]

    @Test func truncationAtEveryByteOffsetGivesAPrefixAndAtMostOneTornLine() throws {
        let stream = encodeStream(Self.sampleEvents)
        let whole = try WireDecoder.decode(stream).records
        for length in 0...stream.count {
            let decoded = try WireDecoder.decode(stream[..<length])
            let records = decoded.records.filter { if case .diagnostic = $0 { false } else { true } }
            #expect(Array(whole.prefix(records.count)) == records, "at \(length)")
            #expect(decoded.counters.malformed == 0, "at \(length)")
            #expect(decoded.counters.torn <= 1, "at \(length)")
            let endsOnLine = length == 0 || stream[length - 1] == UInt8(ascii: "\n")
            if endsOnLine { #expect(decoded.counters.torn == 0, "at \(length)") }
        }
    }

    @Test func aFlippedBitCostsAtMostTheTwoLinesAroundIt() async throws {
        let stream = encodeStream(Self.sampleEvents + Self.sampleEvents)
        let firstNewline = stream.firstIndex(of: UInt8(ascii: "\n")) ?? 0
        await propertyCheck(count: 500, input: Gen.int(in: 0...(stream.count - 1)), Gen.int(in: 0...7)) { position, bit in
            var flipped = stream
            flipped[position] ^= 1 << bit
            do {
                let decoded = try WireDecoder.decode(flipped)
                #expect(decoded.counters.events >= Self.sampleEvents.count * 2 - 2)
            } catch {
                // Only a flip in the header may make the stream unreadable.
                #expect(position <= firstNewline)
            }
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() async throws {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...2000), Gen.int(in: 1...64)) { bytes, chunk in
            Self.feedIgnoringErrors(bytes, chunk: chunk)
        }
    }

    @Test func jsonLikeGarbageNeverCrashesTheDecoder() async throws {
        let alphabet = Array(#"{}[]":,\u0123456789-+.eEtrufalsn dx"#.utf8) + [0x0A, 0xFF, 0xED, 0x00]
        let tokens = [#"{"seq":"#, #""type":"fault""#, #""stack":["#, #"{"symbol":"#, #"\ud83d"#, #""site":{"#, "18446744073709551616", "-0", "1e999"]
        let garbage = Generator { rng in
            (0..<Int.random(in: 0...200, using: &rng)).map { _ in
                Bool.random(using: &rng)
                    ? String(decoding: [alphabet.randomElement(using: &rng) ?? 0], as: UTF8.self)
                    : tokens.randomElement(using: &rng) ?? ""
            }
        }
        await propertyCheck(count: 500, input: garbage, Gen.int(in: 1...32)) { pieces, chunk in
            Self.feedIgnoringErrors(Array(pieces.joined().utf8), chunk: chunk)
        }
    }

    @Test func countersAddUpForAnyInput() async throws {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 0...500)) { bytes in
            // Newlines and braces often enough to make many short lines of every sort.
            let text = bytes.map { $0 % 7 == 0 ? UInt8(ascii: "\n") : $0 }
            guard let decoded = try? WireDecoder.decode(text) else { return }
            let c = decoded.counters
            #expect(c.headers + c.events + c.malformed + c.overLong + c.unknownTypes + c.torn <= c.lines)
            #expect(decoded.records.diagnostics.allSatisfy { $0.line >= 1 && $0.line <= c.lines })
        }
    }

    static func feedIgnoringErrors(_ bytes: [UInt8], chunk: Int) {
        var decoder = WireDecoder(maxLineLength: 256)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            do { try decoder.feed(bytes[offset..<end]) } catch { return }
            while decoder.next() != nil {}
            #expect(decoder.bufferedByteCount <= 256)
            offset = end
        }
        try? decoder.finish()
        while decoder.next() != nil {}
    }
}
