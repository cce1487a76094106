import GroupEvents
@testable import GroupHealth
import Testing
import TestSupport

/// How the model keeps live children, groups and summaries: slots that are reused, lists a
/// child leaves in place, and percentiles refreshed a few at a time.
@Suite struct ChildTrackingTests {
    /// A closed group's slot goes to the next group; a child of the closed group that ends
    /// late must not take a running child away from the new one: the new group's samples are
    /// the same whether the old child's end arrives or not.
    @Test func aLateEndOfAClosedGroupsChildLeavesTheNextGroupAlone() {
        func growth(endingTheOrphan: Bool) -> [HealthWarning] {
            var stream = HealthStream {
                $0.growthMinimumAgeNanoseconds = 0
                $0.growthSampleNanoseconds = 1_000_000_000
                $0.growthSamples = 3
                $0.growthMinimum = 2
            }
            stream.open(1, at: 0)
            let orphan = stream.spawn(group: 1, at: 0)
            stream.start(orphan, group: 1, at: 0)
            stream.model.apply(Event(time: HealthStream.seconds(0.5), .groupClosed(GroupClosed(
                group: GroupID(rawValue: 1), outcome: .ok, faultCount: 0, childCount: 1))))
            stream.open(2, at: 1)  // takes the freed slot
            for second in 1...12 {
                if second == 4, endingTheOrphan { stream.end(orphan, group: 1, at: 3.5, duration: 3.5) }
                let task = stream.spawn(group: 2, at: Double(second) + 0.5)
                stream.start(task, group: 2, at: Double(second) + 0.5)
                stream.advance(to: Double(second + 1))
            }
            return stream.model.warnings.filter { $0.kind == .growing }
        }
        let ended = growth(endingTheOrphan: true), alive = growth(endingTheOrphan: false)
        #expect(ended.map(\.subject) == [.group(GroupID(rawValue: 2))])
        #expect(ended.map(\.detail) == alive.map(\.detail))
        #expect(ended.first?.detail.hasSuffix("→ 12") == true, "\(ended.map(\.detail))")
    }

    /// A slow-to-cancel child that ends frees its slot; the child that reuses the slot is
    /// not reported slow to cancel.
    @Test func aReusedSlotDoesNotInheritSlowToCancel() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        let slow = stream.spawn(at: 0)
        stream.start(slow, at: 0)
        stream.model.apply(Event(time: HealthStream.seconds(1), .slowToCancel(SlowToCancel(
            task: slow, group: GroupID(rawValue: 1), sinceCancelNanoseconds: 1_000_000_000))))
        stream.end(slow, .cancelled, at: 2, duration: 2)
        let next = stream.spawn(at: 2)  // the freed slot
        stream.start(next, at: 2)
        for second in 3...20 { stream.advance(to: Double(second)) }
        #expect(!stream.kinds().contains(.slowCancel))
    }

    /// Children leave their site's running list from its middle, its front and its end; the
    /// stuck rule then sees exactly the ones still running, oldest first.
    @Test func childrenLeaveTheRunningListFromAnywhere() {
        var stream = HealthStream { $0.stuckAfterNanoseconds = 10_000_000_000; $0.holdNanoseconds = 1_000_000_000 }
        stream.open(1, at: 0)
        let tasks = (0..<5).map { i in
            let task = stream.spawn(at: Double(i))
            stream.start(task, at: Double(i))
            return task
        }
        stream.end(tasks[2], at: 5, duration: 3)  // middle
        stream.end(tasks[0], at: 5, duration: 5)  // front
        stream.end(tasks[4], at: 5, duration: 1)  // end
        stream.advance(to: 13)  // tasks 1 and 3: 12 s and 10 s
        stream.advance(to: 15)
        let stuck = stream.model.warnings.filter { $0.kind == .stuck }.map(\.subject)
        #expect(stuck == [.task(tasks[1]), .task(tasks[3])])
        let site = stream.model.statistics(for: HealthStream.site)
        #expect(site?.running == 2)
        #expect(site?.ok == 3)
    }

    /// With more busy sites than one evaluation refreshes, `refreshSummaries` brings the rest
    /// up to date a few at a time, and `evaluate()` by hand does them all.
    @Test func summariesAreRefreshedInSharesAndAllAtOnceByHand() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        let sites = (0..<(HealthModel.summaryRefreshes + 20)).map { SourceSite(file: "Sites/S\($0).swift", line: 1) }
        for site in sites { stream.run(site: site, at: 0, duration: 0.25) }
        stream.advance(to: 1)
        func refreshed() -> Int { stream.model.sites.filter { $0.summary.durations.count == 1 }.count }
        #expect(refreshed() == HealthModel.summaryRefreshes)
        stream.model.refreshSummaries(limit: 16)
        #expect(refreshed() == HealthModel.summaryRefreshes + 16)
        stream.model.evaluate()
        #expect(refreshed() == sites.count)
        #expect(stream.model.sites.allSatisfy { $0.summary.durations.p50 == 250_000_000 || abs(Int64($0.summary.durations.p50) - 250_000_000) < 2_500_000 })
    }

    /// Durations leave the window a half at a time, and a gap of more than a half drops both.
    @Test func aGapInTheStreamEmptiesTheWindow() {
        var stream = HealthStream()  // halves of 15 s
        stream.open(1, at: 0)
        for i in 0..<5 { stream.run(at: Double(i), duration: 1) }
        stream.run(at: 16, duration: 0.5)
        #expect(stream.model.statistics(for: HealthStream.site)?.summary.durations.count == 6)
        stream.advance(to: 100)  // both halves are old
        #expect(stream.model.statistics(for: HealthStream.site)?.summary.durations.count == 0)
        stream.run(at: 101, duration: 2)
        let after = stream.model.statistics(for: HealthStream.site)?.summary.durations
        #expect(after?.count == 1)
        #expect(after.map { abs(Int64($0.p99) - 2_000_000_000) <= 20_000_000 } == true)
    }

    /// Sites found by where their file's bytes are: files built anew for each event (freed
    /// and their memory reused by the next), short ones (small strings, never at a fixed
    /// address) and literals all land in the right site.
    @Test func eachSpawnLandsInItsSiteHoweverItsFileIsHeld() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        var random = SplitMix64(seed: 7)
        var expected: [String: Int] = [:]
        for i in 0..<20_000 {
            let n = random.below(40)
            // Long (heap) and short (small string) file names, each a fresh String.
            let file = n < 30 ? String(repeating: "Service/", count: 3) + "Handler\(n).swift" : "S\(n).swift"
            let line = UInt32(n % 3 + 1)
            stream.run(site: SourceSite(file: file, line: line), at: Double(i) * 0.0001, duration: 0.001)
            expected["\(file):\(line)", default: 0] += 1
        }
        stream.run(site: SourceSite(fileID: "Literal/Site.swift", line: 9), at: 3, duration: 0.001)
        stream.run(site: SourceSite(file: "Literal/Site.swift", line: 9), at: 3, duration: 0.001)
        expected["Literal/Site.swift:9"] = 2
        let counts = Dictionary(uniqueKeysWithValues: stream.model.sites.map { ($0.site, $0.ok) })
        #expect(counts == expected)
    }

    /// A thousand sites whose files are held (a decoded stream's string table): after each
    /// site's first spawn, nearly every spawn finds its site among the recent ones, without
    /// reading its file's bytes (the table's index once took 8 bits of the hash, so a thousand
    /// sites shared 256 entries and three spawns in four read the bytes again).
    @Test func aThousandHeldSitesAreFoundWithoutReadingTheirFiles() {
        var stream = HealthStream { $0.maxSites = 2_000 }
        stream.open(1, at: 0)
        let sites = (0..<1_000).map { SourceSite(file: "Service/Handler\($0 / 50).swift", line: UInt32($0 % 50 + 1)) }
        for (i, site) in sites.enumerated() { stream.run(site: site, at: Double(i) * 0.0001, duration: 0.001) }
        let first = stream.model.sitesFoundByBytes
        #expect(first == 1_000)
        var random = SplitMix64(seed: 16)
        for i in 0..<20_000 {
            stream.run(site: sites[random.below(1_000)], at: 0.1 + Double(i) * 0.0001, duration: 0.001)
        }
        // Direct-mapped, 4,096 entries: about one spawn in nine lands on an entry another site took.
        let again = stream.model.sitesFoundByBytes - first
        #expect(again < 20_000 / 5, "\(again) of 20000 spawns read their file's bytes")
        #expect(stream.model.sites.count == 1_000)
        #expect(stream.model.sites.map(\.ok).reduce(0, +) == 21_000)
    }

    /// A decoder whose string table made a file's string again (another address, the same
    /// bytes): the first spawn with the new string reads its bytes and finds the same site, and
    /// the spawns after it find the site by the new string's address.
    @Test func aSiteGivenByANewStringIsFoundByThatString() {
        func fresh() -> SourceSite {
            SourceSite(file: String(decoding: Array("Service/LongEnoughName.swift".utf8), as: UTF8.self), line: 9)
        }
        var stream = HealthStream()
        stream.open(1, at: 0)
        let first = fresh(), second = fresh()
        #expect(first.fileAddress != nil && first.fileAddress != second.fileAddress)
        for i in 0..<10 { stream.run(site: first, at: Double(i) * 0.01, duration: 0.001) }
        #expect(stream.model.sitesFoundByBytes == 1)
        for i in 0..<10 { stream.run(site: second, at: 1 + Double(i) * 0.01, duration: 0.001) }
        #expect(stream.model.sitesFoundByBytes == 2)
        #expect(stream.model.sites.count == 1)
        #expect(stream.model.sites.first?.ok == 20)
    }

    /// A recent entry is only a guess: once its site is evicted and the slot holds another
    /// site, a spawn of the old site is counted as the old site again, never as the new one.
    @Test func aSpawnOfAnEvictedSiteIsNotCountedInItsSlotsNewSite() {
        var stream = HealthStream { $0.maxSites = 8 }
        stream.open(1, at: 0)
        let old = (0..<8).map { SourceSite(file: "Service/OldHandlers.swift", line: UInt32($0 + 1)) }
        for (i, site) in old.enumerated() { stream.run(site: site, at: Double(i) * 0.01, duration: 0.001) }
        // Eight new sites: the old ones, idle, are evicted and their slots reused.
        let new = (0..<8).map { SourceSite(file: "Service/NewHandlers.swift", line: UInt32($0 + 1)) }
        for (i, site) in new.enumerated() { stream.run(site: site, at: 1 + Double(i) * 0.01, duration: 0.001) }
        #expect(stream.model.evictedSites >= 1)
        let found = stream.model.sitesFoundByBytes
        stream.run(site: old[0], at: 2, duration: 0.001)
        #expect(stream.model.sitesFoundByBytes == found + 1)
        #expect(stream.model.statistics(for: old[0])?.ok == 1)
        #expect(new.compactMap { stream.model.statistics(for: $0)?.ok }.allSatisfy { $0 == 1 })
    }

    /// Once a site's children have waited, immediate starts count too: the wait percentiles
    /// are over every start, not only the ones that waited.
    @Test func immediateStartsCountInTheWaitsOnceASiteHasWaited() {
        var stream = HealthStream()
        stream.open(1, at: 0, limit: 1)
        let first = stream.spawn(at: 0)
        stream.start(first, at: 2, waited: 2)
        for i in 0..<19 {
            let task = stream.spawn(at: 3 + Double(i) * 0.01)
            stream.start(task, at: 3 + Double(i) * 0.01, waited: 0)
        }
        let waits = stream.model.statistics(for: HealthStream.site)?.summary.waits
        #expect(waits?.count == 20)
        #expect(waits.map { $0.p50 <= 1_000 && abs(Double($0.max) - 2e9) <= 2e7 } == true, "\(String(describing: waits))")
    }

    /// With `maxGroups` open, a spawn into a group the model could not keep counts the child,
    /// not one more untracked group per spawn.
    @Test func spawnsIntoAnUntrackedGroupDoNotCountAsGroups() {
        var stream = HealthStream { $0.maxGroups = 1 }
        stream.open(1, at: 0)
        stream.open(2, at: 0)  // the one group not kept
        for i in 0..<5 { stream.run(group: 2, at: Double(i), duration: 0.1) }
        #expect(stream.model.untrackedGroups == 1)
        #expect(stream.model.statistics(for: HealthStream.site)?.ok == 5)
    }

    /// A child first kept by id, then handed to a caller that keeps it (a repeated spawn):
    /// one child, not two, and its end leaves nothing waiting.
    @Test func aChildKeptByIdIsAdoptedNotDoubled() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        let spawned = TaskSpawned(task: TaskID(rawValue: 77), group: GroupID(rawValue: 1), name: "t", site: HealthStream.site)
        stream.model.apply(Event(time: HealthStream.seconds(0), .taskSpawned(spawned)))
        let child = stream.model.spawned(spawned, at: HealthStream.seconds(0.5))
        #expect(child != nil)
        let site = stream.model.statistics(for: HealthStream.site)
        #expect(site?.spawned == 1)
        #expect(site?.waiting == 1)
        if let child {
            stream.model.started(child, TaskStarted(task: spawned.task, group: spawned.group), at: HealthStream.seconds(1))
            stream.model.ended(child, TaskEnded(task: spawned.task, group: spawned.group, status: .ok, durationNanoseconds: 1_000_000),
                               at: HealthStream.seconds(1))
        }
        // Its end by id changes nothing more.
        stream.end(spawned.task, at: 1, duration: 0.001)
        let after = stream.model.statistics(for: HealthStream.site)
        #expect(after?.live == 0)
        #expect(after?.ok == 1)
        for second in 2...20 { stream.advance(to: Double(second)) }
        #expect(stream.kinds().isEmpty)
    }

    /// A caller keeps only a child's slot and makes the child again from it with the task's id
    /// (the dashboard's record does): a slot freed and given to another task since, or one the
    /// model never gave, changes nothing and does not trap.
    @Test func aChildMadeFromAStaleOrForeignSlotIsIgnored() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        func spawned(_ id: UInt64) -> TaskSpawned {
            TaskSpawned(task: TaskID(rawValue: id), group: GroupID(rawValue: 1), name: "t", site: HealthStream.site)
        }
        let first = stream.model.spawned(spawned(1), at: HealthStream.seconds(0))!
        stream.model.ended(first, TaskEnded(task: first.task, group: GroupID(rawValue: 1), status: .ok, durationNanoseconds: 0),
                           at: HealthStream.seconds(0.1))
        let second = stream.model.spawned(spawned(2), at: HealthStream.seconds(0.2))!
        #expect(second.slot == first.slot)  // the freed slot, given to task 2
        let made = HealthModel.Child(slot: first.slot, task: TaskID(rawValue: 1))
        #expect(made == first)
        stream.model.started(made, TaskStarted(task: TaskID(rawValue: 1), group: GroupID(rawValue: 1)), at: HealthStream.seconds(0.3))
        stream.model.ended(made, TaskEnded(task: TaskID(rawValue: 1), group: GroupID(rawValue: 1), status: .failed, durationNanoseconds: 0),
                           at: HealthStream.seconds(0.3))
        for slot: Int32 in [-1, 1_000_000] {
            stream.model.started(HealthModel.Child(slot: slot, task: TaskID(rawValue: 2)),
                                 TaskStarted(task: TaskID(rawValue: 2), group: GroupID(rawValue: 1)), at: HealthStream.seconds(0.3))
            stream.model.forget(HealthModel.Child(slot: slot, task: TaskID(rawValue: 2)))
        }
        let site = stream.model.statistics(for: HealthStream.site)
        // Task 2 still waits; task 1 ended once, ok.
        #expect(site?.waiting == 1)
        #expect(site?.running == 0)
        #expect(site?.ok == 1)
        #expect(site?.failed == 0)
        // Made again from its own slot and id, task 2 is found.
        stream.model.started(HealthModel.Child(slot: second.slot, task: TaskID(rawValue: 2)),
                             TaskStarted(task: TaskID(rawValue: 2), group: GroupID(rawValue: 1)), at: HealthStream.seconds(0.4))
        #expect(stream.model.statistics(for: HealthStream.site)?.running == 1)
    }

    /// The service's last gasp names the child it died in: that child ends as crashed, as the
    /// dashboard counts it, and is no longer live.
    @Test func theChildAServiceDiedInEndsAsCrashed() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        let task = stream.spawn(at: 0)
        stream.start(task, at: 0)
        stream.model.apply(Event(time: HealthStream.seconds(3), .processCrashed(ProcessCrashed(
            signal: 6, signalName: "SIGABRT", reason: "Fatal error", task: task, group: GroupID(rawValue: 1), thread: 1))))
        let site = stream.model.statistics(for: HealthStream.site)
        #expect(site?.crashed == 1)
        #expect(site?.live == 0)
        #expect(site.map { abs(Int64($0.summary.durations.p50) - 3_000_000_000) <= 30_000_000 } == true)
    }
}
