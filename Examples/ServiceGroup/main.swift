// A service in swift-service-lifecycle's ServiceGroup, with SafeGroup's monitor and a
// long-lived group of jobs that drains on SIGTERM or SIGINT.
// Run: swift run safegroup-service-example, then press Ctrl-C (or `kill -TERM` it).
//
// Six jobs arrive; three finish at once, three would run for an hour. On the signal the group
// stops taking jobs, lets the running ones finish for 200 ms, then cancels the rest: its report
// says "graceful shutdown", with no fault for the jobs it cancelled. The monitor, listed first,
// stops last, so a viewer (`safegroup attach`) and a recording (SAFEGROUP_RECORD) see it all.

import Logging
import SafeGroup
import SafeGroupLifecycle
import ServiceLifecycle

let logger = Logger(label: "jobs-example")
let (jobs, arrivals) = AsyncStream.makeStream(of: Int.self)
for job in 1...6 { arrivals.yield(job) }

/// Half the jobs return at once; the others would run for an hour.
func run(_ job: Int) async throws {
    if job.isMultiple(of: 2) { try await Task.sleep(for: .seconds(3600)) }
}

func describe(_ report: GroupReport<Void>) async {
    let cancellation = report.cancellation.map { "\($0)" } ?? "none"
    print("jobs: \(report.childCount) children, \(report.faults.count) faults, outcome \(report.outcome.rawValue), cancellation \(cancellation)")
}

// README: begin
let monitor = SafeGroupMonitorService(service: "jobs-example")
let worker = SafeGroupService(name: "jobs", limit: 8, drainTimeout: .milliseconds(200),
                              monitor: monitor, onReport: describe) { group in
    for await job in jobs.cancelOnGracefulShutdown() {  // no new job once the shutdown begins
        await group.spawn("job \(job)") { try await run(job) }
    }
}
let services = ServiceGroup(configuration: .init(
    services: [monitor, worker],  // the monitor first: it stops last
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger))
try await services.run()
// README: end
print("stopped")
