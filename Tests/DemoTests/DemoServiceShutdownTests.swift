import Foundation
import GroupEvents
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension DemoTests {
    /// demo-service runs as a ServiceGroup: SIGTERM is a graceful shutdown.
    @Suite("demo-service, graceful shutdown")
    struct DemoServiceShutdownTests {
        @Test func sigtermDrainsTheRunsAndTheRecordingSaysGracefulShutdown() async throws {
            let executable = DemoServiceEndToEndTests.executable
            try #require(FileManager.default.isExecutableFile(atPath: executable.path), "no demo-service at \(executable.path)")
            let directory = ScratchDirectory(prefix: "demo-drain")
            let socketPath = directory.file("demo.sock")
            let recording = directory.file("demo.ndjson")

            // No drain time: the runs in flight at the signal are cancelled at once, by the shutdown.
            let process = try ChildProcess(executable.path, ["--socket", socketPath, "--seed", "21", "--rate", "300", "--workers", "0", "--drain-timeout", "0"],
                                           environment: ["SAFEGROUP_RECORD": recording], in: directory)
            defer { process.kill() }

            func recorded() -> String { (try? String(contentsOfFile: recording, encoding: .utf8)) ?? "" }
            // Runs are in flight once a group has opened and not all opened groups have closed.
            try #require(await eventually {
                let text = recorded()
                return text.components(separatedBy: #""type":"group.opened""#).count > 3
            }, "demo-service recorded no runs")
            process.terminate()
            try #require(await eventually { !process.isRunning }, "demo-service did not stop on SIGTERM")
            #expect(process.exitStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: socketPath), "demo-service left its socket behind")
            let said = process.errorsSoFar
            #expect(said.contains("demo-service: shutting down gracefully"), "\(said)")

            let (records, _) = try WireDecoder.decode(Array(recorded().utf8))
            let closed = records.compactMap { record -> GroupClosed? in
                if case .event(_, let event) = record, case .groupClosed(let closed) = event.kind { closed } else { nil }
            }
            #expect(closed.contains { $0.cancellation == .gracefulShutdown }, "no group says graceful-shutdown: \(closed.map(\.cancellation))")
        }
    }
}
