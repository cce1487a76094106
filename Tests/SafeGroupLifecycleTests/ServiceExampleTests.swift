import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built README example: a ServiceGroup with the monitor and a group of jobs, stopped
/// by SIGTERM like a real service.
@Suite struct ServiceExampleTests {
    @Test func sigtermDrainsTheJobsRecordsTheGracefulShutdownAndRemovesTheSocket() async throws {
        let binary = productsDirectory.appendingPathComponent("safegroup-service-example")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build")
        let scratch = ScratchDirectory(prefix: "sgex")
        let socket = scratch.file("jobs.sock"), recording = scratch.file("jobs.ndjson")

        let process = try ChildProcess(binary.path, [], environment: ["SAFEGROUP_SOCKET": socket, "SAFEGROUP_RECORD": recording],
                                       in: scratch, output: .lines)
        defer { process.terminate() }

        // The six jobs are running (three returned at once) when the recording shows them.
        func recorded() -> String { (try? String(contentsOfFile: recording, encoding: .utf8)) ?? "" }
        let spawnedAll = await eventually {
            recorded().components(separatedBy: #""type":"task.spawned""#).count - 1 == 6
        }
        try #require(spawnedAll, "the example never spawned its six jobs: \(recorded())")
        process.signal(SIGTERM)

        let text = process.readToEnd()
        process.waitUntilExit()
        #expect(process.exitStatus == 0)
        #expect(text.contains("jobs: 6 children, 0 faults, outcome cancelled, cancellation gracefulShutdown"), "\(text)")
        #expect(text.hasSuffix("stopped\n"))
        let lines = recorded().split(separator: "\n")
        #expect(lines.contains { $0.contains(#""type":"group.closed""#) && $0.contains(#""cancellation":{"cause":"requested","shutdown":"graceful"}"#) })
        #expect(lines.filter { $0.contains(#""status":"cancelled""#) }.count == 3)
        #expect(!lines.contains { $0.contains(#""type":"fault""#) })
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}
