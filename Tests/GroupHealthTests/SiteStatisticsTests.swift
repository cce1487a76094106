import GroupEvents
import GroupEventsTesting
import GroupHealth
import SafeGroup
import Testing
import TestSupport

@Suite struct SiteStatisticsTests {
    /// p50, p90, p99 and max from the histogram against the same durations sorted: within 1%
    /// (two significant digits) and a microsecond.
    @Test(arguments: [1 as UInt64, 2, 3])
    func percentilesMatchASortedListWithinOnePercent(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var stream = HealthStream()
        stream.open(1, at: 0)
        var durations: [UInt64] = []
        for i in 0..<5_000 {
            // Spread over six decades: 10 µs to 10 s, log-uniform, with a heavy tail.
            let exponent = Double(random.below(6_000)) / 1_000
            let nanoseconds = UInt64(10_000 * pow10(exponent))
            durations.append(nanoseconds)
            let task = stream.spawn(at: Double(i) * 0.001)
            stream.start(task, at: Double(i) * 0.001)
            stream.end(task, at: Double(i) * 0.001, duration: Double(nanoseconds) / 1e9)
        }
        durations.sort()
        func exact(_ p: Double) -> UInt64 { durations[max(0, Int((p / 100 * Double(durations.count)).rounded(.up)) - 1)] }
        let got = stream.model.statistics(for: HealthStream.site)!.summary.durations
        #expect(got.count == 5_000)
        for (p, value) in [(50.0, got.p50), (90, got.p90), (99, got.p99), (100, got.max)] {
            let want = Double(exact(p))
            #expect(abs(Double(value) - want) <= want * 0.01 + 1_000, "p\(p): \(value) against \(want)")
        }
    }

    private func pow10(_ x: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(x) { result *= 10 }
        let fraction = x - Double(Int(x))
        // exp(fraction · ln 10) by its series: enough terms for 1e-9.
        var term = 1.0, sum = 1.0
        for n in 1..<30 {
            term *= fraction * 2.302585092994046 / Double(n)
            sum += term
        }
        return result * sum
    }

    @Test func countsPerSiteFollowEveryStatus() {
        var stream = HealthStream()
        stream.open(1, at: 0)
        let other = SourceSite(file: "Other.swift", line: 9)
        for (i, status) in TaskStatus.allCases.enumerated() { stream.run(at: Double(i), duration: 0.5, status) }
        stream.run(site: other, at: 1, duration: 0.2)
        let waiting = stream.spawn(at: 6)
        let running = stream.spawn(at: 6)
        stream.start(running, at: 6)
        _ = waiting
        let site = stream.model.statistics(for: HealthStream.site)!
        #expect((site.spawned, site.started, site.running, site.waiting) == (7, 6, 1, 1))
        #expect((site.ok, site.failed, site.timedOut, site.cancelled, site.crashed) == (1, 1, 1, 1, 1))
        #expect(stream.model.statistics(for: other)?.ok == 1)
        // Three of the five ends in the last minute failed, timed out or crashed.
        #expect(site.summary.recentEnds == 5)
        #expect(abs(site.summary.faultRate - 0.6) < 1e-9)
    }

    @Test func percentilesSlideOutOfTheWindow() {
        var stream = HealthStream()  // a 30 s window: halves of 15 s
        stream.open(1, at: 0)
        for i in 0..<10 { stream.run(at: Double(i), duration: 2) }
        #expect(stream.model.statistics(for: HealthStream.site)!.summary.durations.count == 10)
        stream.run(at: 20, duration: 0.001)
        stream.advance(to: 31)
        // The half of 15–30 s is the previous one now: only the short child remains.
        let after = stream.model.statistics(for: HealthStream.site)!.summary.durations
        #expect(after.count == 1)
        #expect(after.max < 2_000_000)
        stream.advance(to: 61)
        #expect(stream.model.statistics(for: HealthStream.site)!.summary.durations.count == 0)
    }

    /// A value stamped with an older half than the one before it (a late viewer's snapshot
    /// comes with old times) goes to its own half, and leaves the window with it.
    @Test func anOlderValueGoesToItsOwnHalf() {
        var stream = HealthStream()  // a 30 s window: halves of 15 s
        stream.open(1, at: 0)
        let old = stream.spawn(at: 1)
        stream.start(old, at: 1)
        stream.run(at: 16, duration: 0.005)  // half 1
        stream.end(old, at: 2, duration: 0.9)  // half 0, after a value of half 1
        #expect(stream.model.statistics(for: HealthStream.site)!.summary.durations.max >= 900_000_000)
        stream.advance(to: 31)
        // Half 0 left the window; half 1 stays.
        let after = stream.model.statistics(for: HealthStream.site)!.summary.durations
        #expect(after.count == 1)
        #expect(after.max < 6_000_000)
    }

    /// A value at a half's first nanosecond is of that half, not of the one before it.
    @Test func aValueAtAHalfsFirstNanosecondIsOfThatHalf() {
        var stream = HealthStream()  // a 30 s window: halves of 15 s
        stream.open(1, at: 0)
        stream.run(at: 14.8, duration: 0.1)  // ends at 14.9 s: half 0
        stream.run(at: 14.9, duration: 0.1)  // ends at 15.0 s: half 1
        stream.advance(to: 30)
        // Half 0 left the window; the value of 15.0 s stays.
        #expect(stream.model.statistics(for: HealthStream.site)!.summary.durations.count == 1)
    }

    /// A wait recorded at a start marks its site for the next refresh, with no end yet.
    @Test func aWaitAloneRefreshesTheSitesSummary() {
        var stream = HealthStream()
        stream.open(1, at: 0)  // the first event evaluates; the next evaluation is at 1 s
        for _ in 0..<3 {
            let task = stream.spawn(at: 0.2)
            stream.start(task, at: 0.5, waited: 0.3)
        }
        stream.model.refreshSummaries(limit: 16)
        let waits = stream.model.sites.first!.summary.waits
        #expect(waits.count == 3)
        #expect(waits.max >= 300_000_000 && waits.max < 303_000_000)
    }

    /// 100,000 sites, each with a child that runs and ends: the sites stay within the cap,
    /// the rest are evicted and counted, and nothing else grows.
    @Test func memoryStaysBoundedWithAHundredThousandSites() {
        var configuration = HealthConfiguration()
        configuration.maxSites = 1_024
        var model = HealthModel(configuration: configuration)
        let group = GroupID(rawValue: 1)
        for i in 0..<100_000 {
            let time = MonotonicTime(nanoseconds: UInt64(i) * 1_000_000)
            let task = TaskID(rawValue: UInt64(i + 1))
            let site = SourceSite(file: "Generated/Site\(i).swift", line: UInt32(i % 1000 + 1))
            model.apply(Event(time: time, .taskSpawned(TaskSpawned(task: task, group: group, name: "t", site: site))))
            model.apply(Event(time: time, .taskStarted(TaskStarted(task: task, group: group))))
            model.apply(Event(time: time, .taskEnded(TaskEnded(task: task, group: group, status: i % 3 == 0 ? .failed : .ok,
                                                               durationNanoseconds: UInt64(i % 977) * 1_000))))
        }
        #expect(model.siteCount <= 1_024)
        #expect(model.siteCount + model.evictedSites == 100_000)
        #expect(model.untrackedTasks == 0)
        // Each site holds two small histograms: well under the documented 30 KiB each.
        #expect(model.estimatedFootprint < 1_024 * 30 * 1_024)
        // The newest sites are the ones kept.
        #expect(model.statistics(for: SourceSite(file: "Generated/Site99999.swift", line: 1000)) != nil)
    }

    @Test func sitesWithLiveChildrenAreNotEvictedAndTheRestAreCountedAsUntracked() {
        var configuration = HealthConfiguration()
        configuration.maxSites = 8
        var model = HealthModel(configuration: configuration)
        let group = GroupID(rawValue: 1)
        for i in 0..<10 {
            let task = TaskID(rawValue: UInt64(i + 1))
            model.apply(Event(time: MonotonicTime(nanoseconds: UInt64(i)), .taskSpawned(TaskSpawned(
                task: task, group: group, name: "t", site: SourceSite(file: "S\(i).swift", line: 1)))))
        }
        #expect(model.siteCount == 8)
        #expect(model.evictedSites == 0)
        #expect(model.untrackedTasks == 2)
    }

    /// The library function a user's test calls: a real group's events, checked for warnings.
    @Test func aHealthyGroupLeavesNoWarningsAndAStuckOneDoes() async {
        let sink = InMemoryEventSink()
        _ = await withSafeGroup(name: "imports", limit: 2, sink: sink) { group in
            for i in 0..<20 { await group.spawn("import \(i)") { try await Task.sleep(for: .milliseconds(1)) } }
        }
        #expect(HealthModel.warnings(in: sink.events).isEmpty)
        #expect(HealthModel.warnings(in: sink.events).isEmpty)

        // The same kind of check catches a child that outlives a (test-sized) threshold.
        var strict = HealthConfiguration()
        strict.stuckAfterNanoseconds = 1_000_000  // 1 ms
        strict.stuckMinimumNanoseconds = 1_000_000
        strict.holdNanoseconds = 1_000_000
        let slow = InMemoryEventSink()
        _ = await withSafeGroup(name: "slow", sink: slow) { group in
            await group.spawn("sleeper") { try await Task.sleep(for: .milliseconds(50)) }
        }
        let spawned = slow.events.first { if case .taskStarted = $0.kind { true } else { false } }!
        let warnings = HealthModel.warnings(in: slow.events.filter { if case .taskEnded = $0.kind { false } else { true } },
                                            configuration: strict, at: MonotonicTime(nanoseconds: spawned.time.rawValue + 10_000_000))
        #expect(warnings.map(\.kind) == [.stuck])
    }
}
