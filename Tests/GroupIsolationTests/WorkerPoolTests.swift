import Foundation
import GroupIsolation
import IsolationTestJobs
import Testing

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
