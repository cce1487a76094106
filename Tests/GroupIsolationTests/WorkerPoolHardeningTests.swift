import Foundation
import GroupIsolation
import IsolationTestJobs
import Synchronization
import Testing

/// The pool under abuse: bursts of crashes, cancellations after shutdown, jobs that print
/// what looks like a crash, jobs that need the worker's main actor.
@Suite(.serialized)
struct WorkerPoolHardeningTests {
    /// Counts the pool's worker processes (started, not yet reaped) and remembers the most.
    final class ProcessCounter: Sendable {
        private let counts = Mutex((now: 0, most: 0))
        func note(_ event: WorkerPoolEvent) {
            counts.withLock { counts in
                switch event {
                case .started: counts.now += 1
                case .exited: counts.now -= 1
                default: return
                }
                counts.most = max(counts.most, counts.now)
            }
        }
        var most: Int { counts.withLock { $0.most } }
    }

    @Test func aBurstOfCrashesNeverHasMoreThanTwiceThePoolsSizeOfWorkersAlive() async throws {
        let counter = ProcessCounter()
        let size = 2
        let pool = try WorkerPool(.init(size: size, executable: fixtureExecutable, symbolication: .fast,
                                        onEvent: { counter.note($0) }))
        defer { pool.shutdown() }
        let crashes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        _ = try await pool.run(TrapJob.self, index % 2 == 0 ? .nilUnwrap : .fatalError)
                        return false
                    } catch is IsolatedJobCrash {
                        return true
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(crashes == 20)
        #expect(counter.most <= 2 * size, "at most \(counter.most) workers were alive at once")
        #expect(try await pool.run(EchoJob.self, "after the burst") == "after the burst")
    }

    /// A worker that never says it is ready is killed at the startup timeout, the queued job
    /// fails saying why, and the pool's thread goes on: it reaps the worker and shuts down.
    @Test func aWorkerThatNeverSaysReadyIsKilledAndThePoolStillShutsDown() async throws {
        setenv("ISOLATION_FIXTURE_STALL", "1", 1)
        let pool: WorkerPool
        do {
            defer { unsetenv("ISOLATION_FIXTURE_STALL") }  // the pool keeps its own copy of the environment
            pool = try WorkerPool(.init(size: 1, executable: fixtureExecutable, startupTimeout: .milliseconds(300)))
        }
        do {
            _ = try await pool.run(EchoJob.self, "never")
            Issue.record("a job ran on a worker that never said it was ready")
        } catch let error as IsolationError {
            #expect(error.description.contains("did not say it was ready"), "\(error)")
        }
        // Shut down on a thread of its own, so that a pool thread that never comes back fails
        // this test instead of hanging the run.
        let done = DispatchSemaphore(value: 0)
        Thread { pool.shutdown(); done.signal() }.start()
        #expect(done.wait(timeout: .now() + 10) == .success, "shutdown() did not return within 10 s")
    }

    /// Timeouts that mean "never" are deadlines far away, not an overflow on the pool's thread.
    @Test func timeoutsOfForeverAreAcceptedAndJobsRun() async throws {
        let pool = try WorkerPool(.init(size: 1, executable: fixtureExecutable, symbolication: .fast,
                                        crashReportTimeout: .seconds(Int64.max), startupTimeout: .seconds(Int64.max)))
        defer { pool.shutdown() }
        #expect(try await pool.run(EchoJob.self, "soon") == "soon")
        await #expect(throws: IsolatedJobCrash.self) { try await pool.run(TrapJob.self, .nilUnwrap) }
        #expect(try await pool.run(EchoJob.self, "after") == "after")
    }

    @Test func aJobThatPrintsFatalErrorAndOutlivesTheCrashReportTimeoutReturnsItsValue() async throws {
        let pool = try WorkerPool(.init(size: 1, executable: fixtureExecutable, crashReportTimeout: .milliseconds(200)))
        defer { pool.shutdown() }
        let input = PrintThenSleep(line: "Fatal error: not really", milliseconds: 1_000)
        #expect(try await pool.run(PrintThenSleepJob.self, input) == "Fatal error: not really")
        #expect(try await pool.run(EchoJob.self, "next") == "next")
    }

    @Test func aWorkersGrandchildThatWritesForeverDoesNotHoldThePoolAfterTheWorkerDied() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        do {
            _ = try await pool.run(OrphanWriterJob.self, 0)
            Issue.record("the orphan writer's worker survived")
        } catch let crash as IsolatedJobCrash {
            #expect(crash.signal == SIGKILL)
        }
        // The pool's thread is not stuck draining the grandchild's output: the next job runs.
        #expect(try await pool.run(EchoJob.self, "free") == "free")
        // And the grandchild went with its worker's process group.
        let end = ContinuousClock.now + .seconds(10)
        while !Self.orphanWriters().isEmpty, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(10)) }
        #expect(Self.orphanWriters().isEmpty, "the worker's grandchild outlived it")
    }

    /// Live processes running the orphan writer's shell loop (zombies do not count).
    static func orphanWriters() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                  command.contains("echo orphan") else { return false }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return !stat.contains(") Z ")
        }
    }

    @Test func aSecondReadyFrameFromABusyWorkerBreaksItsChannelAndTheNextJobIsNotConfused() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let confused = Task { try await pool.run(SecondReadyJob.self, 300) }
        while pool.idleWorkers > 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        // Before the fix this request went to the busy worker, and got the other job's reply.
        #expect(try await pool.run(EchoJob.self, "mine") == "mine")
        await #expect(throws: IsolatedJobCrash.self) { _ = try await confused.value }
    }

    @Test func aJobThatAwaitsTheMainActorInTheWorkerReturns() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        #expect(try await pool.run(MainActorJob.self, 21) == 42)
    }
}
