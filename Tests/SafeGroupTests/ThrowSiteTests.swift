import GroupEvents
import GroupEventsTesting
@testable import SafeGroup
import Synchronization
import Testing

// Each throw pattern, and where its fault says it happened. The functions below are the "user
// code" whose frames must be the innermost of a fault's stack; each is kept out of line so that
// it is a frame of its own, and each names the line of its throw in a constant the tests check.

@inline(never) func throwsHere() throws -> Never {
    throw TestError(code: 1)  // throwSiteLine
}
let throwSiteLine: UInt32 = 12

@inline(never) func callsThroughTwoLevels() throws { try middleLevel() }
@inline(never) func middleLevel() throws { try throwsHere() }

@inline(never) func rethrowsInCatch() throws {
    do { try throwsHere() } catch { throw error }
}

@inline(never) func rethrowsAsConcreteType() throws {
    do { try throwsHere() } catch let error as TestError {
        throw error  // reboxedLine
    }
}
let reboxedLine: UInt32 = 25

@inline(never) func catchesThenThrowsAnother() throws {
    do { try throwsHere() } catch {}
    throw TestError(code: 2)  // secondErrorLine
}
let secondErrorLine: UInt32 = 32

@inline(never) func typedThrow() throws(TestError) {
    throw TestError(code: 3)  // typedLine
}
let typedLine: UInt32 = 37

@inline(never) func rethrowsATypedError() throws {
    do { try typedThrow() } catch { throw error }
}

@inline(never) func throwsAfterAwaiting() async throws {
    try await Task.sleep(for: .milliseconds(1))
    throw TestError(code: 4)  // asyncLine
}
let asyncLine: UInt32 = 47

@inline(never) func waitsForAnAnswer() async throws {
    try await Task.sleep(for: .seconds(30))  // waitingLine
}
let waitingLine: UInt32 = 52

/// The innermost frame of a fault's stack, which must be the user's own code.
private func innermost(_ fault: Fault) throws -> StackFrame {
    try #require(fault.stack.first, "no stack; origin \(fault.info.stackOrigin), message \(fault.message)")
}

private func onlyFault(_ operation: @escaping @Sendable () async throws -> Void) async throws -> Fault {
    let report = await withSafeGroup(name: "throws") { group in
        await group.spawn("thrower") { try await operation() }
    }
    return try #require(report.faults.first)
}

@Suite struct ThrowSiteTests {
    @Test func anErrorThrownInAChildShowsWhereItWasThrown() async throws {
        let fault = try await onlyFault { try throwsHere() }
        #expect(fault.info.stackOrigin == "throw")
        let frame = try innermost(fault)
        #expect(frame.symbol.contains("throwsHere"))
        #expect(frame.file?.hasSuffix("ThrowSiteTests.swift") == true)
        #expect(frame.line == throwSiteLine)
    }

    @Test func tryPropagationKeepsTheThrowSiteAndTheCallersBelowIt() async throws {
        let fault = try await onlyFault { try callsThroughTwoLevels() }
        #expect(fault.info.stackOrigin == "throw")
        let symbols = fault.stack.map(\.symbol)
        #expect(try innermost(fault).line == throwSiteLine)
        let middle = try #require(symbols.firstIndex { $0.contains("middleLevel") })
        let outer = try #require(symbols.firstIndex { $0.contains("callsThroughTwoLevels") })
        #expect(middle < outer)
    }

    @Test func aRethrowInACatchKeepsWhereTheErrorWasFirstThrown() async throws {
        let fault = try await onlyFault { try rethrowsInCatch() }
        #expect(try innermost(fault).line == throwSiteLine)
        #expect(try innermost(fault).symbol.contains("throwsHere"))
    }

    @Test func anErrorCaughtAsItsTypeAndThrownAgainIsANewThrow() async throws {
        // `catch let e as T` unboxes the error; `throw e` boxes a new one: a new throw, by the rule.
        let fault = try await onlyFault { try rethrowsAsConcreteType() }
        #expect(try innermost(fault).symbol.contains("rethrowsAsConcreteType"))
        #expect(try innermost(fault).line == reboxedLine)
    }

    @Test func anErrorThrownAndCaughtInsideTheChildDoesNotStandForTheNextOne() async throws {
        let fault = try await onlyFault { try catchesThenThrowsAnother() }
        #expect((fault.error as? TestError)?.code == 2)
        #expect(try innermost(fault).line == secondErrorLine)
    }

    @Test func aTypedThrowShowsItsThrowSite() async throws {
        let fault = try await onlyFault { try typedThrow() }
        #expect(fault.info.stackOrigin == "throw")
        #expect(try innermost(fault).symbol.contains("typedThrow"))
        #expect(try innermost(fault).line == typedLine)
    }

    @Test func aTypedErrorRethrownUntypedKeepsItsTypedThrowSite() async throws {
        // The typed error is boxed anew on its way out of `throws(E)`; `throw error` then throws
        // that new box: it takes the typed throw's stack, not the rethrow's.
        let fault = try await onlyFault { try rethrowsATypedError() }
        #expect(try innermost(fault).symbol.contains("typedThrow"))
        #expect(try innermost(fault).line == typedLine)
    }

    @Test func aThrowAfterAnAwaitShowsTheAsyncFunction() async throws {
        let fault = try await onlyFault { try await throwsAfterAwaiting() }
        #expect(try innermost(fault).symbol.contains("throwsAfterAwaiting"))
        #expect(try innermost(fault).line == asyncLine)
    }

    @Test func aNestedGroupsFaultsRethrownShowWhereTheFirstHappened() async throws {
        let fault = try await onlyFault {
            let inner = await withSafeGroup(name: "inner") { group in
                await group.spawn("inner child") { try callsThroughTwoLevels() }
            }
            try inner.throwIfFaulted()
        }
        #expect(fault.errorType.hasSuffix("GroupFaults"))
        #expect(fault.info.stackOrigin == "throw")
        #expect(try innermost(fault).line == throwSiteLine)
        #expect(fault.message.contains("\n"))
    }

    @Test func aTracedErrorKeepsItsCreationStack() async throws {
        let fault = try await onlyFault { throw TracedError(TestError(code: 5)) }
        #expect(fault.info.stackOrigin == "error")
        #expect(fault.errorType.hasSuffix("TestError"))
    }

    @Test func aTimedOutChildShowsWhereItWasWaiting() async throws {
        let report = await withSafeGroup(name: "deadline") { group in
            await group.spawn("waiter", timeout: .milliseconds(30)) { try await waitsForAnAnswer() }
        }
        let fault = try #require(report.faults.first)
        #expect(fault.kind == .timeout)
        #expect(fault.info.stackOrigin == "throw")
        #expect(try innermost(fault).symbol.contains("waitsForAnAnswer"))
        #expect(try innermost(fault).line == waitingLine)
    }

    @Test func aCancelledSiblingShowsWhereItWasWaiting() async throws {
        let report = await withSafeGroup(name: "fail-fast", policy: .cancelOnFirstFault) { group in
            await group.spawn("waiter") { try await waitsForAnAnswer() }
            await group.spawn("failing") {
                try await Task.sleep(for: .milliseconds(20))
                try throwsHere()
            }
        }
        let cancelled = try #require(report.faults.first { $0.kind == .cancelled })
        #expect(cancelled.info.stackOrigin == "throw")
        #expect(try innermost(cancelled).symbol.contains("waitsForAnAnswer"))
        let failed = try #require(report.faults.first { $0.kind == .error })
        #expect(try innermost(failed).line == throwSiteLine)
    }

    @Test func aTimedOutChildThatReturnsLateHasNoStackAndSaysWhy() async throws {
        let report = await withSafeGroup(name: "deaf") { group in
            await group.spawn("deaf", timeout: .milliseconds(20)) { await sleepIgnoringCancellation(.milliseconds(120)) }
        }
        let fault = try #require(report.faults.first)
        #expect(fault.kind == .timeout)
        #expect(fault.stack.isEmpty)
        #expect(fault.info.stackOrigin == "none")
        #expect(fault.message.contains("returned"))
        #expect(fault.message.contains("instead of throwing"))
    }

    @Test func aTimedOutChildStillRunningPastTheThresholdIsReportedSlowAndItsFaultComesWhenItEnds() async throws {
        let sink = InMemoryEventSink()
        // Long enough that a deadline late on a loaded machine still comes well before the end.
        let report = await withSafeGroup(name: "stuck", slowCancelThreshold: .milliseconds(30), sink: sink) { group in
            await group.spawn("stuck", timeout: .milliseconds(20)) { await sleepIgnoringCancellation(.milliseconds(1500)) }
        }
        let fault = try #require(report.faults.first)
        #expect(report.faults.count == 1)
        #expect(fault.message.contains("instead of throwing"))
        #expect(fault.stack.isEmpty)
        #expect(report.slowToCancel == [fault.task])
        // Slow to cancel while it ran; its fault, then its end, when it returned.
        let events = sink.events
        let slowAt = try #require(events.firstIndex { if case .slowToCancel = $0.kind { true } else { false } })
        let faultAt = try #require(events.firstIndex { if case .faultRecorded = $0.kind { true } else { false } })
        let endedAt = try #require(events.firstIndex { if case .taskEnded = $0.kind { true } else { false } })
        #expect(slowAt < faultAt && faultAt < endedAt)
    }

    @Test func anErrorThrownOutsideAnyChildIsNotRecorded() async throws {
        let before = ThrowSites.stack(of: TestError(code: 0))
        #expect(before == nil)
        do { try throwsHere() } catch {
            #expect(ThrowSites.stack(of: error) == nil)
        }
    }

    @Test func theGroupWithoutASinkStillGetsThrowSites() async throws {
        // No sink and no EventSystem sink in this test process: the children bind their context
        // for the hook alone.
        let report = await withSafeGroup(name: "quiet", sink: nil) { group in
            await group.spawn("thrower") { try throwsHere() }
        }
        let fault = try #require(report.faults.first)
        #expect(try innermost(fault).line == throwSiteLine)
    }

    @Test func eightChildrenThrowingAtOnceWhileThreadsThrowOutsideEachKeepTheirOwnSite() async throws {
        final class Counter: Sendable { let value = Atomic<Int>(0) }
        let outside = Counter()
        let threads = (0..<8).map { _ in
            Task.detached {
                for _ in 0..<2_000 {
                    do { try throwsHere() } catch { outside.value.add(1, ordering: .relaxed) }
                }
            }
        }
        let report = await withSafeGroup(name: "many") { group in
            for index in 0..<8 {
                await group.spawn("thrower \(index)") {
                    for _ in 0..<200 { do { try catchesThenThrowsAnother() } catch {} }
                    if index % 2 == 0 { try throwsHere() } else { try await throwsAfterAwaiting() }
                }
            }
        }
        for thread in threads { await thread.value }
        #expect(outside.value.load(ordering: .relaxed) == 16_000)
        #expect(report.faults.count == 8)
        for fault in report.faults {
            let index = Int(fault.taskName.split(separator: " ").last!)!
            #expect(try innermost(fault).line == (index % 2 == 0 ? throwSiteLine : asyncLine), "\(fault.taskName)")
        }
    }
}

/// The hook installed into a stand-in for the runtime's slot: it chains to what was there.
@Suite struct ThrowHookInstallTests {
    nonisolated(unsafe) static var previousCalls = 0
    nonisolated(unsafe) static let sentinel = UnsafeMutableRawPointer(bitPattern: 0x5afe)

    @Test func theHookChainsToTheOneInstalledBeforeItAndInstallingTwiceChangesNothing() {
        let previous: ThrowSites.Hook = { box in
            if box == ThrowHookInstallTests.sentinel { ThrowHookInstallTests.previousCalls += 1 }
        }
        let slot = UnsafeMutablePointer<Atomic<UInt>>.allocate(capacity: 1)
        slot.initialize(to: Atomic(unsafeBitCast(previous, to: UInt.self)))
        defer { slot.deinitialize(count: 1); slot.deallocate() }
        let restore = ThrowSites.chained
        defer { ThrowSites.chained = restore }

        ThrowSites.install(into: slot)
        ThrowSites.install(into: slot)  // a second install must not chain the hook to itself
        let installed = unsafeBitCast(slot.pointee.load(ordering: .acquiring), to: ThrowSites.Hook.self)
        installed(Self.sentinel)
        #expect(Self.previousCalls == 1)
        #expect(ThrowSites.chained == unsafeBitCast(previous, to: UInt.self))
    }

    @Test func theRuntimesHookIsInstalledOnceAGroupHasOpened() async {
        _ = await withSafeGroup(of: Void.self, name: "installs") { _ in }
        #expect(ThrowSites.isActive)
    }
}

@inline(never) func anotherTypedThrow() throws(TestError) {
    throw TestError(code: 6)  // anotherTypedLine
}
let anotherTypedLine: UInt32 = #line - 2

@inline(never) func twoTypedThrowsTheSecondRethrown() throws {
    do { try typedThrow() } catch {}
    do { try anotherTypedThrow() } catch { throw error }
}

/// What the fixes found in review pin: typed throws close together, typed throws under a
/// timeout, a nested group's order, events of groups without a sink, the policy at a deadline.
@Suite struct ThrowSiteEdgeTests {
    @Test func twoTypedThrowsOfOneTypeCloseTogetherKeepTheirOwnSites() async throws {
        let direct = try await onlyFaultOf { try typedThrow(); } // warm: a typed throw alone
        #expect(direct.info.stackOrigin == "throw")
        let fault = try await onlyFaultOf { try twoTypedThrowsTheSecondRethrown() }
        #expect(fault.stack.first?.symbol.contains("anotherTypedThrow") == true, "\(fault.stack.map(\.symbol))")
        #expect(fault.stack.first?.line == anotherTypedLine)
    }

    @Test func aTypedThrowInAChildWithATimeoutShowsItsSite() async throws {
        let report = await withSafeGroup(name: "typed with deadline") { group in
            await group.spawn("typed", timeout: .seconds(30)) { try typedThrow() }
        }
        let fault = try #require(report.faults.first)
        #expect(fault.kind == .error)
        #expect(fault.stack.first?.line == typedLine, "\(fault.stack.map(\.symbol))")
    }

    @Test func aNestedFailFastGroupsFaultsShowTheFailureNotTheCancellationItCaused() async throws {
        let fault = try await onlyFaultOf {
            let inner = await withSafeGroup(name: "inner", policy: .cancelOnFirstFault) { group in
                await group.spawn("waiter") { try await waitsForAnAnswer() }
                await group.spawn("failing") {
                    try await Task.sleep(for: .milliseconds(20))
                    try throwsHere()
                }
            }
            // Listed in the order the children failed, whatever their stacks took.
            #expect(inner.faults.map(\.kind) == [.error, .cancelled])
            try inner.throwIfFaulted()
        }
        #expect(fault.stack.first?.line == throwSiteLine)
    }

    @Test func aGroupWithASinkInsideAGroupWithoutOneNamesNoParent() async throws {
        let sink = InMemoryEventSink()
        _ = await withSafeGroup(name: "quiet", sink: nil) { group in
            await group.spawn("opens") {
                _ = await withSafeGroup(name: "loud", sink: sink) { inner in
                    await inner.spawn("child") {}
                    #expect(SafeGroupTask.currentGroup == nil || SafeGroupTask.current == nil)
                }
            }
        }
        let opened = try #require(sink.opened.first)
        #expect(opened.parentTask == nil)
        #expect(opened.parentGroup == nil)
    }

    @Test func aTimeoutDecidesAFailFastGroupsCauseAtItsDeadline() async throws {
        var timedOut: TaskID?
        let report = await withSafeGroup(name: "deadline first", policy: .cancelOnFirstFault) { group in
            timedOut = await group.spawn("deaf", timeout: .milliseconds(20)) { await sleepIgnoringCancellation(.milliseconds(600)) }
            await group.spawn("late error") {
                await sleepIgnoringCancellation(.milliseconds(300))
                try throwsHere()
            }
        }
        #expect(report.cancellation == .fault(try #require(timedOut)))
    }
}

private func onlyFaultOf(_ operation: @escaping @Sendable () async throws -> Void) async throws -> Fault {
    let report = await withSafeGroup(name: "throws") { group in
        await group.spawn("thrower") { try await operation() }
    }
    return try #require(report.faults.first)
}

