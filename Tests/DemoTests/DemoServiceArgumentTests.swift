import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension DemoTests {
    /// `demo-service` refuses what it cannot honour at start, with a message, instead of trapping
    /// later with its socket left behind or serving where no viewer can reach it.
    @Suite("demo-service arguments")
    struct DemoServiceArgumentTests {
        struct Outcome {
            var status: Int32
            var reason: Process.TerminationReason
            var output: String
        }

        /// Runs demo-service with `arguments` in a fresh directory; kills it after 10 s.
        static func run(_ arguments: (String) -> [String]) async throws -> (Outcome, leftovers: [String]) {
            let directory = ScratchDirectory(prefix: "demo-args")
            defer { withExtendedLifetime(directory) {} }  // removed at the end of the test, not before
            let process = Process()
            process.executableURL = DemoServiceEndToEndTests.executable
            process.arguments = arguments(directory.path) + ["--workers", "0"]
            var environment = ProcessInfo.processInfo.environment
            environment["SWIFT_BACKTRACE"] = "enable=no"
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            return (Outcome(status: process.terminationStatus, reason: process.terminationReason, output: text), leftovers)
        }

        @Test(arguments: [["--duration", "1e300"], ["--trap-in-process-after", "1e300"], ["--rate", "1e-300"], ["--rate", "1e300"]])
        func extremeNumbersAreRefusedAtStart(_ option: [String]) async throws {
            let (outcome, leftovers) = try await Self.run {
                // A duration of its own, should the option be accepted: the test never waits long.
                ["--socket", "\($0)/demo.sock"] + (option[0] == "--duration" ? [] : ["--duration", "2"]) + option
            }
            #expect(outcome.reason == .exit && outcome.status == 64,
                    "\(option) was not refused as a usage error (\(outcome.reason) \(outcome.status)):\n\(outcome.output)")
            #expect(outcome.output.contains(option[0]), "the message does not name \(option[0]):\n\(outcome.output)")
            #expect(!outcome.output.contains("serving events"), "it started serving:\n\(outcome.output)")
            #expect(leftovers.isEmpty, "it left \(leftovers) behind")
        }

        @Test func aSocketPathTooLongForAUnixSocketIsRefusedWithTheLimit() async throws {
            let (outcome, leftovers) = try await Self.run { directory in
                ["--socket", "\(directory)/\(String(repeating: "s", count: 120)).sock", "--duration", "2"]
            }
            #expect(outcome.reason == .exit && outcome.status == 1, "\(outcome.reason) \(outcome.status):\n\(outcome.output)")
            #expect(outcome.output.contains("107 bytes"), "the message does not give the limit:\n\(outcome.output)")
            #expect(!outcome.output.contains("serving events"), "it says it serves:\n\(outcome.output)")
            #expect(leftovers.isEmpty, "it left \(leftovers) behind")
        }
    }
}
