// isolation-fixture: the worker binary of GroupIsolationTests. Run by a WorkerPool, it serves
// the fixture's jobs (IsolationTestJobs); run by hand, it says what it is for.
import GroupIsolation
import IsolationTestJobs

IsolatedWorker.serveIfWorker(fixtureJobs)
print("isolation-fixture: a worker for GroupIsolationTests; a WorkerPool starts it (jobs: \(fixtureJobs.names.joined(separator: ", ")))")
