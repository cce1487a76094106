@testable import GroupIsolation
import Testing

/// The worker pool's phases and their transitions, without a process.
struct WorkerPhaseTests {
    @Test func aSpawnedWorkerBecomesIdleWhenItSaysItIsReady() {
        var phase = WorkerPhase.spawning
        #expect(!phase.isReady)
        let accepted = phase.becomeReady()
        #expect(accepted)
        #expect(phase == .idle)
        #expect(phase.isReady && !phase.isRetiring && phase.ticket == nil)
    }

    @Test func aSecondReadyIsRefusedSoTheWorkerIsNeverIdleTwice() {
        var phase = WorkerPhase.idle
        let result1 = phase.becomeReady()
        #expect(!result1)
        #expect(phase == .idle)
        phase.assign(7)
        let result2 = phase.becomeReady()
        #expect(!result2)
        #expect(phase == .busy(ticket: 7))
    }

    @Test func aJobTakesAnIdleWorkerAndItsEndBringsItBack() {
        var phase = WorkerPhase.idle
        phase.assign(3)
        #expect(phase == .busy(ticket: 3))
        let result3 = phase.finishJob()
        #expect(result3 == 3)
        #expect(phase == .idle)
        let result4 = phase.finishJob()
        #expect(result4 == nil)
        #expect(phase == .idle)
    }

    @Test func aRetiredWorkerKeepsItsJobButNeverGoesBackToIdle() {
        var phase = WorkerPhase.busy(ticket: 9)
        phase.retire()
        #expect(phase == .draining(wasReady: true, ticket: 9))
        #expect(phase.isRetiring)
        let result5 = phase.finishJob()
        #expect(result5 == 9)
        #expect(phase == .draining(wasReady: true, ticket: nil))
        let result6 = phase.becomeReady()
        #expect(!result6)
    }

    @Test func aWorkerRetiredBeforeItWasReadyIsStillNotIdleWhenItSaysReady() {
        var phase = WorkerPhase.spawning
        phase.retire()
        #expect(phase == .draining(wasReady: false, ticket: nil))
        let result7 = phase.becomeReady()
        #expect(result7)
        #expect(phase == .draining(wasReady: true, ticket: nil))
        #expect(phase.isRetiring)
    }

    @Test func aCrashIsNoticedOnceAndKeepsItsFirstDeadline() {
        var phase = WorkerPhase.busy(ticket: 4)
        let result8 = phase.noticeCrash(at: 100)
        #expect(result8)
        #expect(phase == .crashing(wasReady: true, ticket: 4, noticedAt: 100))
        let result9 = phase.noticeCrash(at: 200)
        #expect(!result9)
        #expect(phase.crashNoticedAt == 100)
        phase.retire()
        #expect(phase.isCrashing && phase.crashNoticedAt == 100)
        let result10 = phase.finishJob()
        #expect(result10 == 4)
        #expect(phase == .crashing(wasReady: true, ticket: nil, noticedAt: 100))
    }

    @Test func onlyIdleAndBusyWorkersTakeJobs() {
        let phases: [WorkerPhase] = [
            .spawning, .idle, .busy(ticket: 1), .draining(wasReady: true, ticket: nil),
            .crashing(wasReady: false, ticket: nil, noticedAt: 0),
        ]
        #expect(phases.map(\.isRetiring) == [false, false, false, true, true])
        #expect(phases.map(\.isReady) == [false, true, true, true, false])
    }
}
