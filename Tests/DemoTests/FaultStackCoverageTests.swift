import Foundation
import GroupEvents
import Testing
import TestSupport

extension DemoTests {
    /// How many of a real `demo-service` run's faults show where they happened: the innermost
    /// frame of their stack in the workloads' own code, not in SafeGroup or the runtime.
    @Suite("Fault stacks of a demo-service recording")
    struct FaultStackCoverageTests {
        @Test func almostEveryErrorTimeoutAndCancellationFaultShowsTheWorkloadLineWhereItHappened() async throws {
            let executable = DemoServiceEndToEndTests.executable
            try #require(FileManager.default.isExecutableFile(atPath: executable.path), "no demo-service at \(executable.path)")
            let directory = ScratchDirectory(prefix: "demo-stacks")
            defer { withExtendedLifetime(directory) {} }  // removed at the end of the test, not before
            let recording = URL(fileURLWithPath: directory.file("demo.ndjson"))

            // As the issue measured it: seed 5, two workers, ten seconds.
            let process = try ChildProcess(executable.path, ["--socket", directory.file("demo.sock"), "--duration", "10",
                                                             "--seed", "5", "--workers", "2"],
                                           environment: ["SAFEGROUP_RECORD": recording.path], in: directory)
            process.waitUntilExit()
            #expect(process.exitStatus == 0)

            var decoder = WireDecoder()
            try decoder.feed(Array(try Data(contentsOf: recording)))
            try decoder.finish()
            var total: [FaultKind: Int] = [:], located: [FaultKind: Int] = [:]
            var misses: [String] = []
            // Payload errors are typed throws (`throws(PayloadDecodingError)`), rethrown untyped by
            // the injection board's `catch { throw error }`: the stack is still where they began.
            var payloadErrors = 0, payloadErrorsAtTheDecoder = 0
            while let record = decoder.next() {
                guard case .event(_, let event) = record, case .faultRecorded(let fault) = event.kind else { continue }
                total[fault.kind, default: 0] += 1
                if fault.errorType.hasSuffix("PayloadDecodingError") {
                    payloadErrors += 1
                    if fault.stack.first?.file?.hasSuffix("demo/Workloads/KeyValuePayload.swift") == true { payloadErrorsAtTheDecoder += 1 }
                }
                if fault.stack.first?.file?.contains("demo/Workloads/") == true {
                    located[fault.kind, default: 0] += 1
                } else if misses.count < 10 {
                    misses.append("\(fault.kind) \(fault.taskName) (\(fault.stackOrigin)): \(fault.message) at \(fault.stack.first?.symbol ?? "no stack")")
                }
            }
            let errors = (located[.error] ?? 0, total[.error] ?? 0)
            let waits = ((located[.timeout] ?? 0) + (located[.cancelled] ?? 0), (total[.timeout] ?? 0) + (total[.cancelled] ?? 0))
            print("fault stacks in demo/Workloads: errors \(errors.0)/\(errors.1), timeouts and cancellations \(waits.0)/\(waits.1)")
            try #require(errors.1 > 20 && waits.1 > 10, "too few faults to measure: \(total)")
            #expect(Double(errors.0) >= 0.95 * Double(errors.1), "errors \(errors); first misses: \(misses)")
            #expect(Double(waits.0) >= 0.90 * Double(waits.1), "timeouts and cancellations \(waits); first misses: \(misses)")
            print("payload errors thrown in KeyValuePayload.swift: \(payloadErrorsAtTheDecoder)/\(payloadErrors)")
            #expect(payloadErrors > 0 && payloadErrorsAtTheDecoder == payloadErrors)
        }
    }
}
