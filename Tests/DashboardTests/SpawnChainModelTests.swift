@testable import Dashboard
import GroupEvents
import Testing

/// The model's fault records carry their spawn chain, from the tree it tracks.
@Suite struct SpawnChainModelTests {
    @Test func aNestedFaultsChainGoesUpToTheRootGroup() throws {
        let state = nestedFaultState(size: RenderSnapshotTests.large)
        let fault = try #require(state.displayed.faults[number: state.displayed.faults.appended - 1])
        #expect(fault.chain.map(\.id) == ["t22", "g2", "t13", "g1"])
        #expect(fault.chain.map(\.name) == ["velocity 📈", "fraud-signals", "fraud-check", "checkout-request"])
        #expect(fault.chain.map(\.site) == ["Checkout/Handler.swift:57", "Checkout/Handler.swift:80",
                                           "Checkout/Handler.swift:63", "Checkout/Handler.swift:42"])
    }

    @Test func aMultiLineMessageKeepsItsLinesEachSanitized() throws {
        var s = StreamBuilder()
        s.header()
        s.open(1, "g", at: 1)
        s.spawn(11, in: 1, "t", at: 2)
        s.fault(11, "t", in: 1, "g", message: "first\n  second \u{1B}[2J\r\nthird\n", started: 2, at: 3)
        var state = DashboardState(mode: .live, size: RenderSnapshotTests.small)
        state.feed(s)
        let fault = try #require(state.displayed.faults[number: state.displayed.faults.appended - 1])
        #expect(fault.messageLines == ["first", "  second \\u{1B}[2J", "third"])
    }

    @Test func frameOfTheServiceIsUserCodeAndLibrariesAreNot() throws {
        let state = nestedFaultState(size: RenderSnapshotTests.large)
        let fault = try #require(state.displayed.faults[number: state.displayed.faults.appended - 1])
        #expect(fault.stack.map(\.isUserCode) == [true, false, true, false])
    }

    @Test func aFaultOfATaskInAGroupNeverSeenOpenSaysWhereTheChainStops() throws {
        var s = StreamBuilder()
        s.header()
        s.spawn(11, in: 5, "late", at: 2)  // a late attach: group 5's open came before
        s.fault(11, "late", in: 5, "g5", started: 2, at: 3)
        var state = DashboardState(mode: .live, size: RenderSnapshotTests.small)
        state.feed(s)
        let fault = try #require(state.displayed.faults[number: state.displayed.faults.appended - 1])
        #expect(fault.chain.map(\.id) == ["t11", "g5"])
        #expect(fault.chain.last?.site == "")
    }

    @Test func aHostileStreamsCycleOfParentsEndsTheChain() throws {
        // Group 1 says it was opened in task 21, which is in group 2, opened in task 11 of group 1.
        var s = StreamBuilder()
        s.header()
        s.open(1, "a", at: 1, parentTask: 21)
        s.spawn(11, in: 1, "x", at: 2)
        s.open(2, "b", at: 3, parentTask: 11)
        s.spawn(21, in: 2, "y", at: 4)
        s.fault(21, "y", in: 2, "b", started: 4, at: 5)
        var state = DashboardState(mode: .live, size: RenderSnapshotTests.small)
        state.feed(s)
        let fault = try #require(state.displayed.faults[number: state.displayed.faults.appended - 1])
        #expect(fault.chain.map(\.id) == ["t21", "g2", "t11", "g1", "t21"])
        #expect(fault.chain.count <= SpawnChain.maxSteps)
    }

    @Test func theStandardLibrarysInlinedCodeIsNotTheServices() {
        #expect(FaultRecord.Frame.isUserFile("/srv/app/Sources/Checkout/Handler.swift"))
        #expect(!FaultRecord.Frame.isUserFile("/home/build-user/swift/stdlib/public/core/Array.swift"))
        #expect(!FaultRecord.Frame.isUserFile("/home/build-user/swift-corelibs-foundation/Sources/Foundation/Data.swift"))
        #expect(!FaultRecord.Frame.isUserFile("/srv/app/.build/checkouts/swift-nio/Sources/NIOCore/Channel.swift"))
        #expect(!FaultRecord.Frame.isUserFile(""))
    }
}

