import Foundation
import GroupIsolation
import IsolationTestJobs
import Testing

/// Real traps in real worker processes.
@Suite(.serialized)
struct WorkerCrashTests {
    @Test(arguments: [
        (TrapKind.nilUnwrap, Int32(4), "Unexpectedly found nil while unwrapping an Optional value", "unwrapMissing"),
        (TrapKind.indexOutOfRange, Int32(4), "Index out of range", "readPastEnd"),
        (TrapKind.fatalError, Int32(4), "the fixture job gave up after 10 steps", "giveUp"),
        (TrapKind.stackOverflow, Int32(11), "stack overflow", "recurse"),
    ])
    func trapInAJobIsACrashWithSignalReasonAndStack(kind: TrapKind, signal: Int32, reason: String, function: String) async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let before = try await pool.run(PIDJob.self, 0)
        do {
            _ = try await pool.run(TrapJob.self, kind)
            Issue.record("the trap job returned")
        } catch let crash as IsolatedJobCrash {
            #expect(crash.job == "trap")
            #expect(crash.pid == before)
            #expect(crash.signal == signal)
            #expect(crash.reason.contains(reason), "reason: \(crash.reason)")
            let symbols = crash.stack.map(\.symbol)
            #expect(symbols.contains { $0.contains("Traps.\(function)") }, "stack: \(symbols)")
            #expect(crash.stack.contains { $0.file?.hasSuffix("FixtureJobs.swift") == true && $0.line > 0 })
            #expect(symbols.contains { $0.contains("TrapJob.run") }, "stack: \(symbols)")
        }
        // The pool replaced the worker, and the next job succeeds there.
        let after = try await pool.run(PIDJob.self, 0)
        #expect(after != before)
        #expect(try await pool.run(EchoJob.self, "still serving") == "still serving")
        #expect(!processExists(before))
    }

    @Test func workerKilledFromOutsideIsACrashWithSIGKILL() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let pid = try await pool.run(PIDJob.self, 0)
        async let sleeping = pool.run(SleepJob.self, 10_000)
        // Wait until the job is on the worker (it is no longer idle), then kill it.
        while pool.idleWorkers > 0 { try await Task.sleep(for: .milliseconds(5)) }
        kill(pid, SIGKILL)
        do {
            _ = try await sleeping
            Issue.record("the killed job returned")
        } catch let crash as IsolatedJobCrash {
            #expect(crash.signal == SIGKILL)
            #expect(crash.pid == pid)
            #expect(crash.reason == "the worker was killed (SIGKILL)")
            #expect(crash.stack.isEmpty)
        }
        #expect(try await pool.run(SumJob.self, [2, 3]) == 5)
    }

    /// A worker killed while idle: the next job either runs on its replacement, or, when it was
    /// handed to the dying worker before its death was noticed, fails as a crash of that worker
    /// (it is never run twice). Writing to the dead worker's channel never kills this process
    /// with SIGPIPE, and the job after that runs.
    @Test func idleWorkerKilledFromOutsideIsReplacedAndTheNextJobsRun() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        for _ in 0..<5 {
            let pid = try await pool.run(PIDJob.self, 0)
            kill(pid, SIGKILL)
            do {
                #expect(try await pool.run(PIDJob.self, 0) != pid)
            } catch let crash as IsolatedJobCrash {
                #expect(crash.pid == pid)
                #expect(crash.signal == SIGKILL)
            }
            #expect(try await pool.run(PIDJob.self, 0) != pid)
        }
    }

    @Test func workerThatExitsDuringAJobIsACrashWithItsStatus() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        do {
            _ = try await pool.run(ExitJob.self, 3)
            Issue.record("the exit job returned")
        } catch let crash as IsolatedJobCrash {
            #expect(crash.signal == nil)
            #expect(crash.exitStatus == 3)
            #expect(crash.reason.contains("exited with status 3"))
        }
        #expect(try await pool.run(EchoJob.self, "next") == "next")
    }

    @Test func jobThatPrintsACrashMessageButReturnsKeepsItsResultAndItsWorker() async throws {
        let events = EventLog()
        let pool = try fixturePool(onEvent: { events.append($0) })
        defer { pool.shutdown() }
        let pid = try await pool.run(PIDJob.self, 0)
        #expect(try await pool.run(FalseAlarmJob.self, "answer") == "answer")
        // A `Fatal error:` line is only output: the worker that printed it serves on.
        #expect(try await pool.run(PIDJob.self, 0) == pid)
        #expect(events.exits.isEmpty)
    }

    @Test func thrownErrorComesBackWithItsTypeAndDescription() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let pid = try await pool.run(PIDJob.self, 0)
        do {
            _ = try await pool.run(ThrowJob.self, "disk full")
            Issue.record("the throwing job returned")
        } catch let error as IsolatedJobError {
            #expect(error.errorType == "IsolationTestJobs.FixtureError")
            #expect(error.message == "fixture failure: disk full")
            #expect(error.stack.isEmpty)
        }
        do {
            _ = try await pool.run(ThrowJob.self, "traced:quota")
            Issue.record("the throwing job returned")
        } catch let error as IsolatedJobError {
            #expect(error.errorType == "IsolationTestJobs.FixtureError")
            #expect(error.message == "fixture failure: quota")
            #expect(error.stack.contains { $0.symbol.contains("ThrowJob.run") }, "stack: \(error.stack.map(\.symbol))")
        }
        // A thrown error is not a crash: the same worker serves on.
        #expect(try await pool.run(PIDJob.self, 0) == pid)
    }

    @Test func workerOutputNeverReachesTheJobChannel() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        for index in 0..<20 {
            #expect(try await pool.run(ChattyJob.self, "line \(index)") == "LINE \(index)")
        }
    }

    @Test func unknownJobFailsWithTheJobsTheWorkerKnows() async throws {
        enum NotInTheWorker: IsolatedJob {
            static let name = "not-in-the-worker"
            static func run(_ input: Int) async throws -> Int { input }
        }
        let pool = try fixturePool()
        defer { pool.shutdown() }
        do {
            _ = try await pool.run(NotInTheWorker.self, 1)
            Issue.record("an unknown job ran")
        } catch let error as IsolationError {
            #expect(error.code == .unknownJob)
            #expect(error.description.contains("'not-in-the-worker'"))
            #expect(error.description.contains("echo"))
        }
        #expect(try await pool.run(EchoJob.self, "ok") == "ok")
    }

    @Test func executableThatIsNotAWorkerFailsThePoolClearly() async throws {
        // /bin/true exits at once without ever saying it is ready.
        let pool = try WorkerPool(.init(size: 1, executable: "/bin/true"))
        defer { pool.shutdown() }
        do {
            _ = try await pool.run(EchoJob.self, "x")
            Issue.record("a job ran on /bin/true")
        } catch let error as IsolationError {
            #expect(error.code == .workerStartFailed)
            #expect(error.description.contains("before it was ready"), "\(error)")
        }
    }

    @Test func missingExecutableFailsThePoolsCreation() throws {
        #expect(throws: IsolationError.self) {
            _ = try WorkerPool(.init(size: 1, executable: "/nonexistent/worker"))
        }
    }
}
