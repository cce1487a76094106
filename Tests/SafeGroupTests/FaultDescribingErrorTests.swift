import GroupEvents
import GroupEventsTesting
@_spi(Isolation) import SafeGroup
import Testing

/// Errors that describe the fault they stand for (what GroupIsolation throws), without processes.
@Suite struct FaultDescribingErrorTests {
    struct RemoteCrash: FaultDescribingError {
        let faultDescription: FaultDescription
    }

    @Test func crashDescriptionMakesACrashFaultAndACrashedChild() async {
        let sink = InMemoryEventSink()
        let frames = [StackFrame(symbol: "Parser.parse()", file: "Parser.swift", line: 12)]
        let report = await withSafeGroup(name: "described", sink: sink) { group in
            await group.spawn("parse") {
                throw RemoteCrash(faultDescription: .crash(signal: 4, reason: "Index out of range", stack: frames))
            }
        }
        let fault = report.faults.first
        #expect(report.faults.count == 1)
        #expect(fault?.kind == .crash)
        #expect(fault?.info.signal == 4)
        #expect(fault?.message == "Index out of range")
        #expect(fault?.errorType == "")
        #expect(fault?.info.stackOrigin == "worker")
        #expect(fault?.stack == frames)
        #expect(fault?.error is RemoteCrash)
        #expect(sink.ended.map(\.status) == [.crashed])
        #expect(report.outcome == .faulted)
    }

    @Test func remoteErrorDescriptionNamesTheRemoteTypeAndKeepsARecordedStackWithoutOne() async {
        let report = await withSafeGroup(name: "remote") { group in
            await group.spawn("call") {
                throw RemoteCrash(faultDescription: .error(type: "Billing.CardDeclined", message: "card declined (51)"))
            }
        }
        let fault = report.faults.first
        #expect(fault?.kind == .error)
        #expect(fault?.errorType == "Billing.CardDeclined")
        #expect(fault?.message == "card declined (51)")
        #expect(fault?.info.signal == nil)
        #expect(fault?.info.stackOrigin == "none")
        #expect(fault?.stack.isEmpty == true)
    }

    @Test func crashStackIsCappedAtTheFaultsMaximum() {
        let frames = (0..<100).map { StackFrame(symbol: "f\($0)") }
        let description = FaultDescription.crash(signal: 11, reason: "stack overflow", stack: frames)
        #expect(description.stack?.count == CapturedStack.maximumFrames)
        #expect(description.stack?.first?.symbol == "f0")
    }

    @Test func describedCrashInACancelledChildStaysACrash() async {
        // Cancellation wins only for CancellationError; a described crash that races a
        // cancellation is reported as the crash it was.
        let report = await withSafeGroup(name: "race") { group in
            await group.spawn("crashes while cancelled") {
                withUnsafeCurrentTask { $0?.cancel() }
                throw RemoteCrash(faultDescription: .crash(signal: 9, reason: "killed", stack: []))
            }
        }
        #expect(report.faults.map(\.kind) == [.crash])
    }

    @Test func isolatedChildIsMarkedIsolatedInItsSpawnEvent() async {
        let sink = InMemoryEventSink()
        _ = await withSafeGroup(of: Int.self, name: "marks", sink: sink) { group in
            await group.spawnIsolatedChild("remote", timeout: nil, fileID: #fileID, line: #line) { 1 }
            await group.spawn("local") { 2 }
        }
        #expect(sink.spawned.map(\.isolated) == [true, false])
    }
}
