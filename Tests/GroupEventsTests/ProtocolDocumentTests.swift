import Foundation
import GroupEvents
import Testing

/// Keeps `docs/PROTOCOL.md` true: its example lines are what the encoder writes, and they
/// decode and re-encode byte for byte.
@Suite struct ProtocolDocumentTests {
    /// The events the specification shows, one of every type, numbered from 1 in order.
    static let examples: [Event] = [
        Event(time: MonotonicTime(nanoseconds: 1_250_000_000), .groupOpened(GroupOpened(
            group: GroupID(3), name: "checkout-request", parentTask: TaskID(41), parentGroup: GroupID(2),
            site: SourceSite(file: "Checkout/Handler.swift", line: 42), policy: .cancelOnFirstFault, limit: 8))),
        Event(time: MonotonicTime(nanoseconds: 1_250_031_200), .taskSpawned(TaskSpawned(
            task: TaskID(42), group: GroupID(3), name: "charge-card",
            site: SourceSite(file: "Checkout/Handler.swift", line: 57), isolated: true))),
        Event(time: MonotonicTime(nanoseconds: 1_250_032_720), .taskStarted(TaskStarted(
            task: TaskID(42), group: GroupID(3), waitedNanoseconds: 1_520))),
        Event(time: MonotonicTime(nanoseconds: 1_262_500_000), .faultRecorded(FaultInfo(
            task: TaskID(42), taskName: "charge-card", group: GroupID(3), groupName: "checkout-request",
            site: SourceSite(file: "Checkout/Handler.swift", line: 57), kind: .error,
            errorType: "Checkout.PaymentError", message: "card declined: \"insufficient funds\"",
            startedAt: MonotonicTime(nanoseconds: 1_250_032_720), endedAt: MonotonicTime(nanoseconds: 1_262_500_000),
            stackOrigin: "throw", stack: [
                StackFrame(symbol: "Checkout.PaymentClient.charge(card:amount:)", file: "Checkout/PaymentClient.swift", line: 88),
                StackFrame(symbol: "0x00007f3a1c2b4e10"),
            ]))),
        Event(time: MonotonicTime(nanoseconds: 1_262_500_000), .taskEnded(TaskEnded(
            task: TaskID(42), group: GroupID(3), status: .failed, durationNanoseconds: 12_467_280))),
        Event(time: MonotonicTime(nanoseconds: 3_262_500_000), .slowToCancel(SlowToCancel(
            task: TaskID(43), group: GroupID(3), sinceCancelNanoseconds: 2_000_000_000))),
        Event(time: MonotonicTime(nanoseconds: 3_300_000_000), .taskEnded(TaskEnded(
            task: TaskID(43), group: GroupID(3), status: .cancelled, durationNanoseconds: 2_049_000_000, wasSlowToCancel: true))),
        Event(time: MonotonicTime(nanoseconds: 3_300_000_100), .groupClosed(GroupClosed(
            group: GroupID(3), outcome: .faulted, faultCount: 1, childCount: 2, cancellation: .fault(TaskID(42))))),
        Event(time: MonotonicTime(nanoseconds: 3_400_000_000), .dropped(Dropped(count: 17, faults: 2))),
        Event(time: MonotonicTime(nanoseconds: 4_000_000_000), .heartbeat(Heartbeat(produced: 10_482, dropped: 17, viewers: 2))),
        Event(time: MonotonicTime(nanoseconds: 4_210_000_000), .processCrashed(ProcessCrashed(
            signal: 4, signalName: "SIGILL",
            reason: "Checkout/PaymentClient.swift:91: Fatal error: Unexpectedly found nil while unwrapping an Optional value",
            task: TaskID(44), group: GroupID(3), thread: 4251, address: 94_558_330_123_588, stack: [
                StackFrame(symbol: "0x0000560013ad7544"), StackFrame(symbol: "0x0000560013ad80a1"),
                StackFrame(symbol: "0x00007f3a1c4f2e60"),
            ], images: [
                LoadedImage(path: "/srv/checkout/bin/checkout", base: 94_558_329_053_184, size: 14_155_776),
                LoadedImage(path: "/usr/lib/swift/linux/libswift_Concurrency.so", base: 139887559311360, size: 1_085_440),
            ]))),
        Event(time: MonotonicTime(nanoseconds: 4_300_000_000), .viewerAction(ViewerAction(
            viewer: 31337, request: 1, action: "cancel", target: .task(TaskID(45)), result: .cancelled))),
    ]

    static let header = WireHeader(service: "checkout", pid: 4242, epochUnixNanoseconds: 1_767_225_600_000_000_000)

    static var documentLines: [String] {
        get throws {
            let url = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("docs/PROTOCOL.md")
            let text = try String(contentsOf: url, encoding: .utf8)
            var lines: [String] = []
            var inExample = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("```") {
                    inExample = line == "```ndjson"
                } else if inExample {
                    lines.append(String(line))
                }
            }
            return lines
        }
    }

    @Test func documentExamplesAreWhatTheEncoderWrites() throws {
        let expected = String(decoding: encodeStream(Self.examples, header: Self.header), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let found = try Self.documentLines
        #expect(found == expected, "docs/PROTOCOL.md examples should be:\n\(expected.joined(separator: "\n"))")
    }

    @Test func documentExamplesDecodeAndReencodeByteForByte() throws {
        let lines = try Self.documentLines
        #expect(!lines.isEmpty)
        let encoder = WireEncoder()
        for line in lines {
            // Each line alone: an event line is reported as coming before any header, and read.
            let records = try WireDecoder.decode(Array((line + "\n").utf8)).records
                .filter { $0 != .diagnostic(WireDiagnostic(line: 1, kind: .missingHeader)) }
            #expect(records.count == 1, "\(line)")
            var bytes: [UInt8] = []
            switch records.first {
            case .header(let header)?: encoder.encodeHeader(header, into: &bytes)
            case .event(let seq, let event)?: encoder.encode(event, seq: seq, into: &bytes)
            default: Issue.record("not a header or an event: \(line)")
            }
            #expect(String(decoding: bytes, as: UTF8.self) == line + "\n")
        }
    }

    /// The crash example follows the recipe the document gives: its innermost frame is the
    /// faulting address, and every frame lies in one of its images.
    @Test func theCrashExampleIsConsistentWithItsOwnImages() throws {
        let crashes = Self.examples.compactMap { event -> ProcessCrashed? in
            if case .processCrashed(let crash) = event.kind { return crash } else { return nil }
        }
        let crash = try #require(crashes.first)
        let addresses = crash.stack.compactMap { UInt64($0.symbol.dropFirst(2), radix: 16) }
        #expect(addresses.count == crash.stack.count)
        #expect(addresses.first == crash.address)
        for address in addresses {
            #expect(crash.images.contains { $0.base <= address && address < $0.base + $0.size }, "\(String(address, radix: 16)) is in no image")
        }
    }

    @Test func documentShowsEveryEventType() throws {
        let types = try Self.documentLines.compactMap { line in
            line.firstRange(of: #""type":""#).map { line[$0.upperBound...].prefix { $0 != "\"" } }
        }
        #expect(Set(types) == ["group.opened", "group.closed", "task.spawned", "task.started", "task.ended",
                               "fault", "task.slow-to-cancel", "dropped", "heartbeat", "process.crashed", "viewer.action"])
    }
}
