import Foundation
import GroupIsolation
import IsolationTestJobs
import Testing
import TestSupport

@Suite(.serialized)
struct WorkerPoolTests {
    @Test func jobRoundTripsThroughAWorkerProcess() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        #expect(try await pool.run(EchoJob.self, "héllo, wörker") == "héllo, wörker")
        #expect(try await pool.run(SumJob.self, [1, 2, 3, 4]) == 10)
        let pid = try await pool.run(PIDJob.self, 0)
        #expect(pid != getpid())
        #expect(pool.workerPIDs == [pid])
    }
}

extension WorkerPoolTests {
    /// A service killed with SIGKILL cannot shut its pool down: its workers, idle or busy, die
    /// with it anyway.
    @Test func workersDieWithTheirService() async throws {
        let directory = ScratchDirectory(prefix: "sgiso")
        let host = try ChildProcess(fixtureExecutable, ["host"], in: directory, output: .lines)
        let text = host.readLine() ?? ""
        let pids = text.split(separator: " ").dropFirst().compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(text.hasPrefix("workers ") && pids.count == 2, "the host said: \(text)")
        #expect(pids.allSatisfy(processExists))
        host.kill()
        host.waitUntilExit()
        let end = ContinuousClock.now + .seconds(15)
        while pids.contains(where: processIsRunning), ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!pids.contains(where: processIsRunning), "workers outlived their service: \(pids.filter(processIsRunning))")
    }
}

/// Whether `pid` runs (a zombie waiting for init to reap it does not count).
func processIsRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
