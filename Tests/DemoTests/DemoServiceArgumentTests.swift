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
            /// The exit status, or the signal that ended it.
            var status: Int32
            /// Whether it exited (rather than died of a signal).
            var exited: Bool
            var output: String
        }

        /// Runs demo-service with `arguments` in a fresh directory; kills it after 10 s.
        static func run(_ arguments: (String) -> [String]) async throws -> (Outcome, leftovers: [String]) {
            let directory = ScratchDirectory(prefix: "demo-args")
            defer { withExtendedLifetime(directory) {} }  // removed at the end of the test, not before
            // Its output goes elsewhere: what it leaves in `directory` is asserted on.
            let scratch = ScratchDirectory(prefix: "demo-args-out")
            let process = try ChildProcess(DemoServiceEndToEndTests.executable.path, arguments(directory.path) + ["--workers", "0"],
                                           environment: ["SWIFT_BACKTRACE": "enable=no"], in: scratch, mergingErrors: true)
            _ = await process.waitForExit(within: .seconds(10))  // killed if it runs over
            let text = process.outputSoFar
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            return (Outcome(status: process.status, exited: process.exitStatus != nil, output: text), leftovers)
        }

        @Test(arguments: [["--duration", "1e300"], ["--trap-in-process-after", "1e300"], ["--rate", "1e-300"], ["--rate", "1e300"]])
        func extremeNumbersAreRefusedAtStart(_ option: [String]) async throws {
            let (outcome, leftovers) = try await Self.run {
                // A duration of its own, should the option be accepted: the test never waits long.
                ["--socket", "\($0)/demo.sock"] + (option[0] == "--duration" ? [] : ["--duration", "2"]) + option
            }
            #expect(outcome.exited && outcome.status == 64,
                    "\(option) was not refused as a usage error (exited \(outcome.exited), \(outcome.status)):\n\(outcome.output)")
            #expect(outcome.output.contains(option[0]), "the message does not name \(option[0]):\n\(outcome.output)")
            #expect(!outcome.output.contains("serving events"), "it started serving:\n\(outcome.output)")
            #expect(leftovers.isEmpty, "it left \(leftovers) behind")
        }

        @Test func otlpEndpointIsRefusedByABuildWithoutAnExporterWithTheWayToOne() async throws {
            let (outcome, leftovers) = try await Self.run { directory in
                ["--socket", "\(directory)/demo.sock", "--duration", "2", "--otlp-endpoint", "http://127.0.0.1:4318"]
            }
            #expect(outcome.exited && outcome.status == 1, "exited \(outcome.exited), \(outcome.status):\n\(outcome.output)")
            #expect(outcome.output.contains("demo-service: --otlp-endpoint: this build has no OTLP exporter; build and run Examples/OTel's demo-service-otlp"),
                    "\(outcome.output)")
            #expect(!outcome.output.contains("serving events"), "it started serving:\n\(outcome.output)")
            #expect(leftovers.isEmpty, "it left \(leftovers) behind")
        }

        @Test func aSocketPathTooLongForAUnixSocketIsRefusedWithTheLimit() async throws {
            let (outcome, leftovers) = try await Self.run { directory in
                ["--socket", "\(directory)/\(String(repeating: "s", count: 120)).sock", "--duration", "2"]
            }
            #expect(outcome.exited && outcome.status == 1, "exited \(outcome.exited), \(outcome.status):\n\(outcome.output)")
            #expect(outcome.output.contains("107 bytes"), "the message does not give the limit:\n\(outcome.output)")
            #expect(!outcome.output.contains("serving events"), "it says it serves:\n\(outcome.output)")
            #expect(leftovers.isEmpty, "it left \(leftovers) behind")
        }
    }
}
