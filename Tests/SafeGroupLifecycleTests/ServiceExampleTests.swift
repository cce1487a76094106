import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built README example: a ServiceGroup with the monitor and a group of jobs, stopped
/// by SIGTERM like a real service.
@Suite struct ServiceExampleTests {
    static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    @Test func sigtermDrainsTheJobsRecordsTheGracefulShutdownAndRemovesTheSocket() async throws {
        let binary = Self.productsDirectory.appendingPathComponent("safegroup-service-example")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build")
        let directory = NSTemporaryDirectory() + "sgex-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/jobs.sock", recording = directory + "/jobs.ndjson"

        let process = Process()
        process.executableURL = binary
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["SAFEGROUP_SOCKET": socket, "SAFEGROUP_RECORD": recording]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The six jobs are running (three returned at once) when the recording shows them.
        func recorded() -> String { (try? String(contentsOfFile: recording, encoding: .utf8)) ?? "" }
        var spawnedAll = false
        for _ in 0..<2000 where !spawnedAll {
            spawnedAll = recorded().components(separatedBy: #""type":"task.spawned""#).count - 1 == 6
            if !spawnedAll { try await Task.sleep(for: .milliseconds(10)) }
        }
        try #require(spawnedAll, "the example never spawned its six jobs: \(recorded())")
        kill(process.processIdentifier, SIGTERM)

        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("jobs: 6 children, 0 faults, outcome cancelled, cancellation gracefulShutdown"), "\(text)")
        #expect(text.hasSuffix("stopped\n"))
        let lines = recorded().split(separator: "\n")
        #expect(lines.contains { $0.contains(#""type":"group.closed""#) && $0.contains(#""cancellation":{"cause":"requested","shutdown":"graceful"}"#) })
        #expect(lines.filter { $0.contains(#""status":"cancelled""#) }.count == 3)
        #expect(!lines.contains { $0.contains(#""type":"fault""#) })
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}
