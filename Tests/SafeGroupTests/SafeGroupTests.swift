import GroupEvents
import GroupEventsTesting
import SafeGroup
import Synchronization
import Testing

@Suite struct SafeGroupScopeTests {
    @Test func scopeReturnsOnlyAfterAChildThatIgnoresCancellationHasEnded() async {
        let finished = Atomic<Bool>(false)
        let report = await withSafeGroup(name: "scope", policy: .cancelOnFirstFault) { group in
            await group.spawn("stubborn") {
                await sleepIgnoringCancellation(.milliseconds(200))
                finished.store(true, ordering: .sequentiallyConsistent)
            }
            await group.spawn("failing") { throw TestError(code: 1) }
        }
        let didFinish = finished.load(ordering: .sequentiallyConsistent)
        #expect(didFinish)
        #expect(report.faults.map(\.taskName) == ["failing"])
        #expect(report.childCount == 2)
    }

    @Test func everyThrownErrorBecomesAFaultWithIdentitySiteAndOriginalError() async throws {
        let sink = InMemoryEventSink()
        var ids: [Int: TaskID] = [:]
        var lines: [Int: UInt] = [:]
        let report = await withSafeGroup(name: "collect", sink: sink) { group in
            for code in 1...3 {
                lines[code] = #line + 1
                ids[code] = await group.spawn("worker \(code)") {
                    try await Task.sleep(for: .milliseconds(10 * code))
                    throw TestError(code: code)
                }
            }
            await group.spawn("fine") {}
        }
        try #require(report.faults.count == 3)
        // In the order they were recorded, which is after each stack is symbolicated: a new
        // stack can take longer than the 10 ms between the throws, so match them by code.
        for fault in report.faults {
            let code = try #require((fault.error as? TestError)?.code)
            #expect(fault.task == ids[code])
            #expect(fault.taskName == "worker \(code)")
            #expect(fault.group == report.group)
            #expect(fault.groupName == "collect")
            #expect(fault.site.file == "SafeGroupTests/SafeGroupTests.swift")
            #expect(UInt(fault.site.line) == lines[code])
            #expect(fault.kind == .error)
            #expect(fault.errorType == "SafeGroupTests.TestError")
            #expect(fault.message == "test error \(code)")
            #expect(fault.error as? TestError == TestError(code: code))
            #expect(fault.endedAt >= fault.startedAt)
        }
        #expect(sink.faults == report.faults.map(\.info))
        #expect(report.outcome == .faulted)
    }

    @Test func throwIfFaultedRethrowsEveryFaultAsOneError() async {
        let report = await withSafeGroup(name: "many") { group in
            await group.spawn("a") { throw TestError(code: 7) }
            await group.spawn("b") { throw TestError(code: 8) }
        }
        #expect(throws: GroupFaults.self) { try report.throwIfFaulted() }
        do {
            try report.throwIfFaulted()
        } catch {
            #expect(error.faults.count == 2)
            #expect(error.description.contains("group 'many'"))
            #expect(error.description.contains("had 2 faults"))
            #expect(error.description.contains("test error 7"))
            #expect(error.description.contains("test error 8"))
        }
        let clean = await withSafeGroup(name: "clean") { group in await group.spawn {} }
        #expect(throws: Never.self) { try clean.throwIfFaulted() }
    }

    @Test func childrenReturnValuesKeptPerChild() async {
        var ids: [TaskID] = []
        let report = await withSafeGroup(of: Int.self, name: "values") { group in
            for n in 1...5 { ids.append(await group.spawn("square \(n)") { n * n }) }
        }
        #expect(report.results.count == 5)
        for (index, id) in ids.enumerated() {
            #expect(report.value(of: id) == (index + 1) * (index + 1))
        }
        #expect(report.outcome == .ok)
    }
}

@Suite struct PolicyTests {
    @Test func cancelOnFirstFaultCancelsTheSiblingsAndRecordsTheCause() async throws {
        let sink = InMemoryEventSink()
        var failing: TaskID?
        let report = await withSafeGroup(name: "fail-fast", policy: .cancelOnFirstFault, sink: sink) { group in
            for n in 0..<3 { await group.spawn("sleeper \(n)") { try await Task.sleep(for: .seconds(30)) } }
            failing = await group.spawn("failing") {
                try await Task.sleep(for: .milliseconds(20))
                throw TestError(code: 1)
            }
        }
        let cause = try #require(report.cancellation)
        #expect(cause == .fault(try #require(failing)))
        #expect(report.faults.first?.task == failing)
        #expect(report.faults.first?.kind == .error)
        #expect(report.faults.dropFirst().map(\.kind) == [.cancelled, .cancelled, .cancelled])
        #expect(Set(sink.ended.filter { $0.status == .cancelled }.map(\.task)).count == 3)
        #expect(sink.closed.first?.cancellation == .fault(failing!))
        #expect(report.outcome == .faulted)
    }

    @Test func collectAllLetsEveryOtherChildFinish() async {
        let completed = Atomic<Int>(0)
        let report = await withSafeGroup(name: "collect", policy: .collectAll) { group in
            await group.spawn("failing") { throw TestError(code: 1) }
            for _ in 0..<4 {
                await group.spawn("slow") {
                    try await Task.sleep(for: .milliseconds(30))
                    completed.add(1, ordering: .relaxed)
                }
            }
        }
        let completedCount = completed.load(ordering: .relaxed)
        #expect(completedCount == 4)
        #expect(report.faults.count == 1)
        #expect(report.cancellation == nil)
    }
}

@Suite struct LimitTests {
    @Test func theLimitIsNeverExceeded() async {
        let gauge = ConcurrencyGauge()
        let report = await withSafeGroup(name: "limited", limit: 3) { group in
            for _ in 0..<40 {
                await group.spawn("bounded") {
                    gauge.enter()
                    try await Task.sleep(for: .milliseconds(2))
                    gauge.leave()
                }
            }
        }
        #expect(report.faults.isEmpty)
        #expect(gauge.most <= 3)
        #expect(gauge.most == 3)
    }

    @Test func spawnWaitsForASlotWhenTheLimitIsReached() async {
        let sink = InMemoryEventSink()
        let release = AsyncStream<Void>.makeStream()
        _ = await withSafeGroup(name: "one-at-a-time", limit: 1, sink: sink) { group in
            await group.spawn("first") { for await _ in release.stream { break } }
            #expect(group.trySpawn("refused") {} == nil)
            release.continuation.yield()
            await group.spawn("second") {}
        }
        let started = sink.started
        #expect(sink.spawned.map(\.name) == ["first", "second"])
        #expect(started.count == 2)
    }

    @Test func trySpawnReturnsNilWhenFullAndAnIdWhenNot() async {
        let gate = AsyncStream<Void>.makeStream()
        _ = await withSafeGroup(name: "try", limit: 2) { group in
            #expect(group.trySpawn("a") { for await _ in gate.stream { break } } != nil)
            #expect(group.trySpawn("b") { for await _ in gate.stream { break } } != nil)
            #expect(group.trySpawn("c") {} == nil)
            gate.continuation.finish()
        }
    }
}

@Suite struct TimeoutAndCancellationTests {
    @Test func aChildPastItsTimeoutIsCancelledAndATimeoutFaultRecorded() async throws {
        let sink = InMemoryEventSink()
        let sawCancellation = Atomic<Bool>(false)
        let report = await withSafeGroup(name: "deadlines", sink: sink) { group in
            await group.spawn("slow", timeout: .milliseconds(50)) {
                do { try await Task.sleep(for: .seconds(30)) } catch { sawCancellation.store(true, ordering: .relaxed); throw error }
            }
            await group.spawn("quick", timeout: .seconds(30)) {}
        }
        let fault = try #require(report.faults.first)
        #expect(report.faults.count == 1)
        #expect(fault.kind == .timeout)
        #expect(fault.taskName == "slow")
        #expect(fault.message.contains("timed out after"))
        #expect(fault.error == nil)
        let childSawCancellation = sawCancellation.load(ordering: .relaxed)
        #expect(childSawCancellation)
        #expect(sink.ended.first { $0.task == fault.task }?.status == .timedOut)
        #expect(sink.ended.filter { $0.status == .ok }.count == 1)
    }

    @Test func cancellingTheParentReachesEveryChild() async throws {
        let sink = InMemoryEventSink()
        let running = ConcurrencyGauge()
        let outer = Task {
            await withSafeGroup(name: "cancel-me", sink: sink) { group in
                for _ in 0..<5 {
                    await group.spawn("waiter") {
                        running.enter()
                        defer { running.leave() }
                        try await Task.sleep(for: .seconds(30))
                    }
                }
            }
        }
        while running.most < 5 { try await Task.sleep(for: .milliseconds(5)) }
        outer.cancel()
        let report = await outer.value
        #expect(report.cancellation == .parentCancelled)
        #expect(report.faults.count == 5)
        #expect(report.faults.allSatisfy { $0.kind == .cancelled })
        #expect(sink.ended.map(\.status) == Array(repeating: .cancelled, count: 5))
        #expect(report.outcome == .cancelled)
    }

    @Test func aChildStillRunningLongAfterCancellationIsReported() async throws {
        // The polite child's cancellation fault is symbolicated on its way out: a stack never seen
        // before takes hundreds of milliseconds in this debug test binary, so the threshold is
        // well above that, and the stubborn child well above the threshold.
        let sink = InMemoryEventSink()
        var stubborn: TaskID?
        let report = await withSafeGroup(name: "slow-cancel", policy: .cancelOnFirstFault,
                                         slowCancelThreshold: .milliseconds(1_500), sink: sink) { group in
            stubborn = await group.spawn("stubborn") { await sleepIgnoringCancellation(.milliseconds(3_000)) }
            await group.spawn("polite") { try await Task.sleep(for: .seconds(30)) }
            await group.spawn("failing") { throw TestError(code: 3) }
        }
        let id = try #require(stubborn)
        #expect(report.slowToCancel == [id])
        #expect(sink.slowToCancel.map(\.task) == [id])
        #expect(sink.slowToCancel.first.map { $0.sinceCancelNanoseconds >= 1_500_000_000 } == true)
        #expect(sink.ended.first { $0.task == id }?.wasSlowToCancel == true)
        #expect(sink.ended.filter { $0.wasSlowToCancel }.count == 1)
    }

    @Test func aTimedOutChildThatIgnoresCancellationIsReportedSlow() async throws {
        let sink = InMemoryEventSink()
        let report = await withSafeGroup(name: "stuck", slowCancelThreshold: .milliseconds(30), sink: sink) { group in
            await group.spawn("deaf", timeout: .milliseconds(20)) { await sleepIgnoringCancellation(.milliseconds(300)) }
        }
        let fault = try #require(report.faults.first)
        #expect(fault.kind == .timeout)
        #expect(report.slowToCancel == [fault.task])
        #expect(sink.ended.first?.wasSlowToCancel == true)
        #expect(sink.ended.first?.status == .timedOut)
    }

    @Test func cancelAllRecordsARequestedCancellation() async {
        let report = await withSafeGroup(name: "stop") { group in
            await group.spawn("waiter") { try await Task.sleep(for: .seconds(30)) }
            group.cancelAll()
            #expect(group.isCancelled)
        }
        #expect(report.cancellation == .requested)
        #expect(report.faults.map(\.kind) == [.cancelled])
    }
}

@Suite struct NestingAndEventTests {
    @Test func aGroupOpenedInsideAChildRecordsItsParentTask() async throws {
        let sink = InMemoryEventSink()
        var parentChild: TaskID?
        let outer = await withSafeGroup(name: "outer", sink: sink) { group in
            parentChild = await group.spawn("opens a group") {
                _ = await withSafeGroup(name: "inner") { inner in
                    await inner.spawn("leaf") { throw TestError(code: 9) }
                }
            }
        }
        let opened = sink.opened
        try #require(opened.count == 2)
        let innerOpened = try #require(opened.first { $0.name == "inner" })
        #expect(innerOpened.parentTask == parentChild)
        #expect(innerOpened.parentGroup == outer.group)
        #expect(opened.first { $0.name == "outer" }?.parentTask == nil)
        // The inner group inherited the outer group's sink: its fault reached it.
        #expect(sink.faults.map(\.taskName) == ["leaf"])
        #expect(sink.faults.first?.group == innerOpened.group)
    }

    @Test func everySpawnedChildStartsAndEndsExactlyOnce() async {
        let sink = InMemoryEventSink()
        _ = await withSafeGroup(name: "events", limit: 4, sink: sink) { group in
            for n in 0..<50 {
                await group.spawn("child \(n)") { if n % 7 == 0 { throw TestError(code: n) } }
            }
        }
        let spawned = sink.spawned.map(\.task)
        #expect(spawned.count == 50)
        #expect(sink.started.map(\.task).sorted() == spawned.sorted())
        #expect(sink.ended.map(\.task).sorted() == spawned.sorted())
        #expect(sink.ended.filter { $0.status == .failed }.count == 8)
        #expect(sink.closed.count == 1)
        #expect(sink.closed.first?.faultCount == 8)
        #expect(sink.closed.first?.childCount == 50)
        // Each task's events come in order: spawned, started, ended.
        let events = sink.events
        for id in spawned {
            let kinds = events.compactMap { event -> String? in
                switch event.kind {
                case .taskSpawned(let e) where e.task == id: "spawned"
                case .taskStarted(let e) where e.task == id: "started"
                case .taskEnded(let e) where e.task == id: "ended"
                default: nil
                }
            }
            #expect(kinds == ["spawned", "started", "ended"])
        }
    }

    @Test func theProcessWideSinkIsUsedWhenTheGroupHasNone() async {
        let sink = InMemoryEventSink()
        EventSystem.bootstrap(sink)
        let report = await withSafeGroup(name: "default-sink") { group in await group.spawn {} }
        EventSystem.reset()
        let mine = sink.opened.filter { $0.group == report.group }
        #expect(mine.count == 1)
        let after = await withSafeGroup(name: "after-reset") { group in await group.spawn {} }
        #expect(sink.opened.contains { $0.group == after.group } == false)
    }
}

@Suite struct StackTests {
    @inline(never)
    func chargeCard() throws -> Never {
        throw TracedError(TestError(code: 402))
    }

    @Test func anErrorThatCarriesItsCreationStackShowsIt() async throws {
        let report = await withSafeGroup(name: "traced") { group in
            await group.spawn("payment") { try chargeCard() }
        }
        let fault = try #require(report.faults.first)
        #expect(fault.info.stackOrigin == "error")
        #expect(fault.errorType == "SafeGroupTests.TestError")
        #expect(fault.message == "test error 402")
        #expect(fault.stack.contains { $0.symbol.contains("chargeCard") })
        #expect(fault.stack.count <= CapturedStack.maximumFrames)
        #expect(!fault.stack.contains { $0.symbol.hasPrefix("SafeGroup.") })
        #expect(fault.error is TracedError<TestError>)
    }

    @Test func aThrowSiteStackHasNoFramesOfSafeGroupOrTheRuntime() async throws {
        let report = await withSafeGroup(name: "plain") { group in
            await group.spawn("plain") { throw TestError(code: 1) }
        }
        let fault = try #require(report.faults.first)
        #expect(fault.info.stackOrigin == "throw")
        #expect(!fault.stack.isEmpty)
        #expect(fault.stack.count <= CapturedStack.maximumFrames)
        for frame in fault.stack {
            #expect(!frame.symbol.hasPrefix("SafeGroup."))
            #expect(!frame.symbol.contains(" in SafeGroup."))
            #expect(!frame.symbol.hasPrefix("swift_task"))
            #expect(!frame.symbol.hasPrefix("completeTask"))
        }
    }
}

@Suite struct MisuseTests {
    @Test func aLimitBelowOneIsRefusedAtTheCall() async {
        await #expect(processExitsWith: .failure) {
            _ = await withSafeGroup(of: Void.self, name: "bad", limit: 0) { _ in }
        }
    }

    @Test func aZeroTimeoutIsRefusedAtTheCall() async {
        await #expect(processExitsWith: .failure) {
            _ = await withSafeGroup(of: Void.self, name: "bad") { group in
                await group.spawn("zero", timeout: .zero) {}
            }
        }
    }
}
