import Foundation
import GroupEvents
import GroupEventsTesting
import GroupIsolation
import IsolationTestJobs
import SafeGroup
import Synchronization
import Testing

/// `spawnIsolated`: isolated jobs as SafeGroup children, their faults and events.
@Suite(.serialized)
struct IsolatedChildTests {
    @Test func isolatedChildReturnsTheJobsOutputAndIsMarkedIsolated() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let sink = InMemoryEventSink()
        let report = await withSafeGroup(of: Int.self, name: "sums", sink: sink) { group in
            await group.spawnIsolated("sum 1-3", on: pool, job: SumJob.self, input: [1, 2, 3])
            await group.spawn("in-process") { 4 }
        }
        #expect(report.faults.isEmpty)
        #expect(report.results.map(\.value).sorted() == [4, 6])
        let spawned = sink.events { if case .taskSpawned(let spawned) = $0 { spawned } else { nil } }
        #expect(spawned.first { $0.name == "sum 1-3" }?.isolated == true)
        #expect(spawned.first { $0.name == "in-process" }?.isolated == false)
        #expect(spawned.first { $0.name == "sum 1-3" }?.site.file == "GroupIsolationTests/IsolatedChildTests.swift")
    }

    @Test func trappingChildIsACrashFaultWithTheWorkersStackAndTheGroupGoesOn() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let sink = InMemoryEventSink()
        let report = await withSafeGroup(of: Int.self, name: "risky", sink: sink) { group in
            await group.spawnIsolated("unwrap", on: pool, job: TrapJob.self, input: .nilUnwrap)
        }
        let fault = try #require(report.faults.first)
        #expect(report.faults.count == 1)
        #expect(fault.kind == .crash)
        #expect(fault.info.signal == 4)
        #expect(fault.message == "Unexpectedly found nil while unwrapping an Optional value")
        #expect(fault.errorType == "")
        #expect(fault.info.stackOrigin == "worker")
        #expect(fault.stack.first?.symbol.contains("Traps.unwrapMissing") == true, "\(fault.stack.map(\.symbol))")
        #expect(fault.error is IsolatedJobCrash)
        #expect(report.outcome == .faulted)
        let ended = sink.events { if case .taskEnded(let ended) = $0 { ended } else { nil } }
        #expect(ended.map(\.status) == [.crashed])
        let faults = sink.events { if case .faultRecorded(let info) = $0 { info } else { nil } }
        #expect(faults.first?.kind == .crash)
        #expect(faults.first?.signal == 4)

        // The service lives on: the next isolated child succeeds on the replacement worker.
        let next = await withSafeGroup(of: Int.self, name: "after") { group in
            await group.spawnIsolated(on: pool, job: SumJob.self, input: [20, 22])
        }
        #expect(next.faults.isEmpty)
        #expect(next.results.map(\.value) == [42])
    }

    @Test func thrownErrorIsAnErrorFaultNamingTheRemoteType() async throws {
        let pool = try fixturePool()
        defer { pool.shutdown() }
        let report = await withSafeGroup(of: Int.self, name: "throws") { group in
            await group.spawnIsolated("write", on: pool, job: ThrowJob.self, input: "no space left")
        }
        let fault = try #require(report.faults.first)
        #expect(fault.kind == .error)
        #expect(fault.errorType == "IsolationTestJobs.FixtureError")
        #expect(fault.message == "fixture failure: no space left")
        #expect(fault.info.signal == nil)
        // The error happened in the worker, which sent no stack: no stack of this process stands for it.
        #expect(fault.info.stackOrigin == "none")
        #expect(fault.stack.isEmpty)
    }

    @Test func timeoutKillsTheWorkerAndRecordsATimeoutFault() async throws {
        let events = EventLog()
        let pool = try fixturePool(onEvent: { events.append($0) })
        defer { pool.shutdown() }
        let pid = try await pool.run(PIDJob.self, 0)
        let sink = InMemoryEventSink()
        let report = await withSafeGroup(of: Int.self, name: "slow", sink: sink) { group in
            await group.spawnIsolated("sleeps 30 s", timeout: .milliseconds(200), on: pool, job: SleepJob.self, input: 30_000)
        }
        let fault = try #require(report.faults.first)
        #expect(report.faults.count == 1)
        #expect(fault.kind == .timeout)
        #expect(fault.message == "timed out after 0.2 seconds")
        let ended = sink.events { if case .taskEnded(let ended) = $0 { ended } else { nil } }
        #expect(ended.map(\.status) == [.timedOut])
        // The worker that ran it was killed, and a new one serves.
        #expect(try await pool.run(PIDJob.self, 0) != pid)
        #expect(events.exits.contains { $0.pid == pid && $0.signal == SIGKILL })
    }

    @Test func parentCancellationKillsTheWorker() async throws {
        let events = EventLog()
        let pool = try fixturePool(onEvent: { events.append($0) })
        defer { pool.shutdown() }
        let pid = try await pool.run(PIDJob.self, 0)
        let run = Task {
            await withSafeGroup(of: Int.self, name: "cancelled") { group in
                await group.spawnIsolated("sleeps 30 s", on: pool, job: SleepJob.self, input: 30_000)
            }
        }
        while pool.idleWorkers > 0 { try await Task.sleep(for: .milliseconds(5)) }
        run.cancel()
        let report = await run.value
        #expect(report.faults.map(\.kind) == [.cancelled])
        #expect(report.cancellation == .parentCancelled)
        #expect(try await pool.run(PIDJob.self, 0) != pid)
        #expect(events.exits.contains { $0.pid == pid && $0.signal == SIGKILL })
    }

    @Test func thousandJobsWithOneInTenTrappingGiveExactlyTheExpectedFaultsAndLeakNothing() async throws {
        let descriptorsBefore = openDescriptors()
        let childrenBefore = childProcesses()
        do {
            let pool = try fixturePool(size: 2, symbolication: .fast)
            let kinds = TrapKind.allCases.filter { $0 != .stackOverflow }
            let report = await withSafeGroup(of: Int.self, name: "thousand", limit: 8) { group in
                for index in 0..<1_000 {
                    if index % 10 == 7 {
                        await group.spawnIsolated("trap \(index)", on: pool, job: TrapJob.self, input: kinds[index / 10 % kinds.count])
                    } else {
                        await group.spawnIsolated("sum \(index)", on: pool, job: SumJob.self, input: [index, 1])
                    }
                }
            }
            #expect(report.childCount == 1_000)
            #expect(report.faults.count == 100)
            #expect(report.faults.allSatisfy { $0.kind == .crash && $0.info.signal == 4 })
            #expect(Set(report.faults.map(\.taskName)) == Set((0..<1_000).filter { $0 % 10 == 7 }.map { "trap \($0)" }))
            #expect(report.results.count == 900)
            #expect(report.results.allSatisfy { "sum \($0.value - 1)" == $0.name })
            pool.shutdown()
        }
        // Every worker was reaped (no zombie, no orphan) and every pipe closed.
        #expect(childProcesses().subtracting(childrenBefore).isEmpty)
        #expect(openDescriptors().subtracting(descriptorsBefore).isEmpty)
    }

    @Test func shutdownEndsTheWorkersAndFailsLaterJobs() async throws {
        let pool = try fixturePool(size: 2)
        _ = try await pool.run(EchoJob.self, "warm")
        let pids = pool.workerPIDs
        #expect(pids.count == 2)
        pool.shutdown()
        #expect(pool.workerPIDs.isEmpty)
        for pid in pids { #expect(!processExists(pid)) }
        do {
            _ = try await pool.run(EchoJob.self, "late")
            Issue.record("a job ran after shutdown")
        } catch let error as IsolationError {
            #expect(error.code == .poolShutDown)
        }
    }
}

/// The events a pool reported, for assertions.
final class EventLog: Sendable {
    private let events = Mutex<[WorkerPoolEvent]>([])

    func append(_ event: WorkerPoolEvent) { events.withLock { $0.append(event) } }

    var exitStatuses: [(pid: Int32, status: Int32?)] {
        events.withLock { events in
            events.compactMap { if case .exited(let pid, _, let status) = $0 { (pid, status) } else { nil } }
        }
    }

    var exits: [(pid: Int32, signal: Int32?)] {
        events.withLock { events in
            events.compactMap { if case .exited(let pid, let signal, _) = $0 { (pid, signal) } else { nil } }
        }
    }
}
