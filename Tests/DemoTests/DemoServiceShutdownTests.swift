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
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("demo-drain-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(at: directory) }
            let socketPath = directory.appendingPathComponent("demo.sock").path
            let recording = directory.appendingPathComponent("demo.ndjson").path

            let process = Process()
            process.executableURL = executable
            // No drain time: the runs in flight at the signal are cancelled at once, by the shutdown.
            process.arguments = ["--socket", socketPath, "--seed", "21", "--rate", "300", "--workers", "0", "--drain-timeout", "0"]
            process.environment = ProcessInfo.processInfo.environment.merging(["SAFEGROUP_RECORD": recording]) { $1 }
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

            func recorded() -> String { (try? String(contentsOfFile: recording, encoding: .utf8)) ?? "" }
            // Runs are in flight once a group has opened and not all opened groups have closed.
            try #require(await eventually {
                let text = recorded()
                return text.components(separatedBy: #""type":"group.opened""#).count > 3
            }, "demo-service recorded no runs")
            process.terminate()
            try #require(await eventually { !process.isRunning }, "demo-service did not stop on SIGTERM")
            #expect(process.terminationReason == .exit && process.terminationStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: socketPath), "demo-service left its socket behind")
            let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(said.contains("demo-service: shutting down gracefully"), "\(said)")

            let (records, _) = try WireDecoder.decode(Array(recorded().utf8))
            let closed = records.compactMap { record -> GroupClosed? in
                if case .event(_, let event) = record, case .groupClosed(let closed) = event.kind { closed } else { nil }
            }
            #expect(closed.contains { $0.cancellation == .gracefulShutdown }, "no group says graceful-shutdown: \(closed.map(\.cancellation))")
        }
    }
}
