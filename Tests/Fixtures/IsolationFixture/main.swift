// isolation-fixture: the worker binary of GroupIsolationTests.
//
//   (started by a WorkerPool)     serve the fixture's jobs (IsolationTestJobs); with
//                                 ISOLATION_FIXTURE_STALL set, never say ready (startup timeout)
//   isolation-fixture host        start a pool of 2 workers of itself, keep one busy with a long
//                                 job, print "workers PID PID", and wait to be killed: a test
//                                 kills it and checks that its workers die with it.
import GroupIsolation
import IsolationTestJobs
#if canImport(Glibc)
import Glibc
#endif

// A worker that never says it is ready, for the pool's startup timeout: it only waits to be killed.
if getenv("ISOLATION_FIXTURE_STALL") != nil {
    while true { sleep(60) }
}

// Awaited: the worker's main actor stays serviced for jobs that use it.
await IsolatedWorker.serveIfWorker(fixtureJobs)

if CommandLine.arguments.dropFirst().first == "host" {
    let pool = try WorkerPool(size: 2)
    _ = try await pool.run(EchoJob.self, "ready")
    let busy = Task { try await pool.run(SleepJob.self, 600_000) }
    while pool.idleWorkers > 1 { try await Task.sleep(for: .milliseconds(5)) }
    print("workers \(pool.workerPIDs.map(String.init).joined(separator: " "))")
    fflush(nil)
    _ = try? await busy.value
    exit(0)
}
print("isolation-fixture: a worker for GroupIsolationTests; a WorkerPool starts it (jobs: \(fixtureJobs.names.joined(separator: ", ")))")
