@testable import SafeGroup
import Synchronization
import Testing

/// A `.collectAll` group with no limit runs on a plain task group; `spawn` collects the children
/// that have finished, so a long-lived group keeps none of them (its memory stays bounded).
@Suite struct CollectingGroupTests {
    @Test func spawnCollectsEveryChildThatHasFinished() async {
        let report = await withSafeGroup(of: Void.self, name: "long-lived") { group in
            #expect(group.collecting != nil && group.tasks == nil)
            for spawned in 1...100 {
                await group.spawn("quick") {}
                while group.core.finished.load(ordering: .acquiring) < spawned { await Task.yield() }
            }
            // Each spawn collected every child before it: only the last one is left.
            #expect(group.collected == 99)
        }
        #expect(report.childCount == 100 && report.faults.isEmpty)
    }

    @Test func groupsThatCancelSiblingsOrHoldALimitRunOnTheDiscardingGroup() async {
        _ = await withSafeGroup(of: Void.self, name: "fail-fast", policy: .cancelOnFirstFault) { group in
            #expect(group.tasks != nil && group.collecting == nil)
        }
        _ = await withSafeGroup(of: Void.self, name: "limited", limit: 2) { group in
            #expect(group.tasks != nil && group.collecting == nil)
        }
    }

    @Test func aCollectingGroupStillKeepsEveryFaultAndValue() async {
        struct Boom: Error {}
        let report = await withSafeGroup(of: Int.self, name: "mixed") { group in
            for index in 0..<50 {
                await group.spawn("child \(index)") {
                    if index % 5 == 0 { throw Boom() }
                    return index
                }
            }
        }
        #expect(report.faults.count == 10)
        #expect(report.results.map(\.value).sorted() == (0..<50).filter { $0 % 5 != 0 })
    }
}
