import GroupEvents
import GroupEventsTesting
import SafeGroup
import SafeGroupLifecycle
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// A long-lived group in a service: drained on a graceful shutdown, then cancelled at the deadline.
@Suite struct GracefulSafeGroupTests {
    /// Opens when told to; every child waiting on it then returns.
    final class Gate: Sendable {
        let (opened, open) = AsyncStream.makeStream(of: Void.self)
        func wait() async { for await _ in opened { return } }
    }

    @Test func aGracefulShutdownLetsRunningChildrenFinishAndStopsSpawning() async throws {
        let sink = InMemoryEventSink()
        let gate = Gate()
        let (jobs, arrivals) = AsyncStream.makeStream(of: Int.self)
        let (spawnedJobs, spawned) = AsyncStream.makeStream(of: Int.self)
        let report = await testGracefulShutdown { trigger in
            async let report = withGracefulSafeGroup(name: "jobs", sink: sink, drainTimeout: .seconds(3600)) { group in
                for await job in jobs.cancelOnGracefulShutdown() {
                    await group.spawn("job \(job)") { await gate.wait() }
                    spawned.yield(job)
                }
            }
            arrivals.yield(1)
            arrivals.yield(2)
            var seen = 0
            for await _ in spawnedJobs { seen += 1; if seen == 2 { break } }
            trigger.triggerGracefulShutdown()
            gate.open.yield()
            gate.open.finish()
            return await report
        }
        #expect(report.childCount == 2)
        #expect(report.faults.isEmpty)
        #expect(report.cancellation == nil)
        #expect(report.outcome == .ok)
    }

    @Test func childrenStillRunningAtTheDeadlineAreCancelledWithoutFaults() async throws {
        let sink = InMemoryEventSink()
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let report = await testGracefulShutdown { trigger in
            async let report = withGracefulSafeGroup(name: "jobs", limit: 4, sink: sink, drainTimeout: .milliseconds(1)) { group in
                for job in 1...3 {
                    await group.spawn("job \(job)") {
                        starting.yield()
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
                try? await gracefulShutdown()
            }
            var count = 0
            for await _ in started { count += 1; if count == 3 { break } }
            trigger.triggerGracefulShutdown()
            return await report
        }
        #expect(report.childCount == 3)
        #expect(report.faults.isEmpty)
        #expect(report.cancellation == .gracefulShutdown)
        #expect(report.outcome == .cancelled)
        let ends = sink.events.compactMap { if case .taskEnded(let e) = $0.kind { e.status } else { nil } }
        #expect(ends == [.cancelled, .cancelled, .cancelled])
        let closed = sink.events.compactMap { if case .groupClosed(let e) = $0.kind { e } else { nil } }
        #expect(closed.map(\.cancellation) == [.gracefulShutdown])
        #expect(!sink.events.contains { if case .faultRecorded = $0.kind { true } else { false } })
    }

    @Test func aFaultBeforeTheShutdownIsStillAFault() async throws {
        struct Declined: Error {}
        let report = await testGracefulShutdown { trigger in
            async let report = withGracefulSafeGroup(name: "jobs", drainTimeout: .milliseconds(1)) { group in
                await group.spawn("declined") { throw Declined() }
                await group.spawn("hangs") { try await Task.sleep(for: .seconds(3600)) }
                try? await gracefulShutdown()
            }
            trigger.triggerGracefulShutdown()
            return await report
        }
        #expect(report.faults.map(\.kind) == [.error])
        #expect(report.cancellation == .gracefulShutdown)
        #expect(report.outcome == .faulted)
    }

    @Test func cancellingTheTaskInsteadIsAParentCancellation() async throws {
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            await withGracefulSafeGroup(name: "jobs", drainTimeout: .seconds(3600)) { group in
                await group.spawn("hangs") {
                    starting.yield()
                    try await Task.sleep(for: .seconds(3600))
                }
            }
        }
        for await _ in started { break }
        task.cancel()
        let report = await task.value
        #expect(report.cancellation == .parentCancelled)
        #expect(report.faults.map(\.kind) == [.cancelled])
    }

    @Test func aGroupNestedInAChildRecordsTheShutdownToo() async throws {
        let sink = InMemoryEventSink()
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let report = await testGracefulShutdown { trigger in
            async let report = withGracefulSafeGroup(name: "outer", sink: sink, drainTimeout: .milliseconds(1)) { group in
                await group.spawn("batch") {
                    let inner = await withSafeGroup(name: "inner") { inner in
                        await inner.spawn("hangs") {
                            starting.yield()
                            try await Task.sleep(for: .seconds(3600))
                        }
                    }
                    #expect(inner.cancellation == .gracefulShutdown)
                    #expect(inner.faults.isEmpty)
                }
                try? await gracefulShutdown()
            }
            for await _ in started { break }
            trigger.triggerGracefulShutdown()
            return await report
        }
        #expect(report.cancellation == .gracefulShutdown)
        #expect(report.faults.isEmpty)
    }
}
