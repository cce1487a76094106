import GroupEvents
@testable import GroupHealth
import Testing

/// Durations and waits are gathered for all sites (``GatheredValues``) and a site's ends in its
/// hot part (``SiteHot``), and put in its histograms and rate ring many at a time: what is read
/// never depends on when that happened. Evaluations (which put the values in) are an hour apart
/// here, so only the gathering's own rules move them.
@Suite struct GatheredValuesTests {
    static func rarelyEvaluated() -> HealthStream {
        HealthStream { $0.evaluationIntervalNanoseconds = 3_600_000_000_000 }
    }

    /// The layout the hot part's documentation promises: 120 bytes a site.
    @Test func aSitesHotPartIs120Bytes() {
        #expect(MemoryLayout<SiteHot>.stride == 120)
    }

    /// Ends of one 10 s slot are counted together and go to the ring when a newer slot's end
    /// comes; an end of an older slot (a late viewer's snapshot) goes straight to its slot.
    @Test func faultRateCountsEndsGatheredAcrossSlotsAndLateOnes() {
        var stream = Self.rarelyEvaluated()
        stream.open(1, at: 0)
        stream.run(at: 1, duration: 0.1, .failed)
        stream.run(at: 2, duration: 0.1, .failed)
        stream.run(at: 12, duration: 0.1)
        stream.run(at: 4, duration: 0.1, .timedOut)  // ends at 4.1 s, after the 12.1 s end
        stream.run(at: 13, duration: 0.1)
        let site = stream.model.statistics(for: HealthStream.site)!
        #expect(site.summary.recentEnds == 5)
        #expect(abs(site.summary.faultRate - 0.6) < 1e-9)
        #expect((site.ok, site.failed, site.timedOut) == (2, 2, 1))
        // At 65 s the last minute is the slots of 10–70 s: the two ends of 12–13 s, both ok.
        stream.advance(to: 65)
        let later = stream.model.statistics(for: HealthStream.site)!
        #expect(later.summary.recentEnds == 2)
        #expect(later.summary.faultRate == 0)
    }

    /// Durations gathered in one half of the window go to that half when a value of the next
    /// half comes, and leave the window with it.
    @Test func durationsGatheredAcrossHalvesLandInTheirOwnHalf() {
        var stream = Self.rarelyEvaluated()  // a 30 s window: halves of 15 s
        stream.open(1, at: 0)
        for i in 0..<3 { stream.run(at: Double(i), duration: 0.5) }  // half 0
        for i in 0..<20 { stream.run(at: 16 + Double(i) * 0.1, duration: 0.002) }  // half 1, 20 values
        #expect(stream.model.statistics(for: HealthStream.site)!.summary.durations.count == 23)
        stream.run(at: 31, duration: 0.001)  // half 2: half 0 leaves the window
        let window = stream.model.statistics(for: HealthStream.site)!.summary.durations
        #expect(window.count == 21)
        #expect(window.max < 10_000_000)
        // Read at 46 s, half 3: only the value of half 2 is left, though nothing was recorded since.
        stream.advance(to: 46)
        #expect(stream.model.statistics(for: HealthStream.site)!.summary.durations.count == 1)
    }

    /// More values in one half than the buffer holds: it is put in when full, and every value
    /// counts, at each site.
    @Test func moreValuesThanTheBufferHoldsAllCount() {
        var stream = Self.rarelyEvaluated()
        stream.open(1, at: 0)
        let other = SourceSite(file: "Other.swift", line: 3)
        let runs = GatheredValues.capacity / 2 + 100  // two values each: a wait and a duration
        for i in 0..<runs {
            let task = stream.spawn(site: i % 2 == 0 ? HealthStream.site : other, at: 1)
            stream.start(task, at: 1, waited: 0.001)
            stream.end(task, at: 1.5, duration: 0.5)
        }
        for site in [HealthStream.site, other] {
            let summary = stream.model.statistics(for: site)!.summary
            #expect(summary.durations.count == runs / 2)
            #expect(summary.waits.count == runs / 2)
        }
    }

    /// An evicted site's gathered values are put in before its slot goes to another site: the
    /// new site starts with nothing.
    @Test func aSiteThatTakesAnEvictedSlotStartsEmpty() {
        var stream = HealthStream {
            $0.evaluationIntervalNanoseconds = 3_600_000_000_000
            $0.maxSites = 8
        }
        stream.open(1, at: 0)
        for i in 0..<8 { stream.run(site: SourceSite(file: "S\(i).swift", line: 1), at: Double(i), duration: 0.25) }
        let newcomer = SourceSite(file: "New.swift", line: 1)
        stream.run(site: newcomer, at: 9, duration: 3)
        #expect(stream.model.evictedSites == 1)
        #expect(stream.model.statistics(for: SourceSite(file: "S0.swift", line: 1)) == nil)
        stream.advance(to: 10)
        stream.model.evaluate()
        let durations = stream.model.statistics(for: newcomer)!.summary.durations
        #expect(durations.count == 1)
        #expect(durations.p50 >= 2_900_000_000)
    }

    /// A refresh of a few sites puts in only their values; the others' stay gathered and go in
    /// later: each value is counted once, whichever way it went.
    @Test func refreshingAFewSitesTakesTheirValuesOnlyAndCountsEachOnce() {
        var stream = Self.rarelyEvaluated()
        stream.open(1, at: 0)
        let sites = (0..<8).map { SourceSite(file: "S\($0).swift", line: 1) }
        func counts() -> [Int] {
            let rows = Dictionary(uniqueKeysWithValues: stream.model.sites.map { ($0.site, $0.summary.durations.count) })
            return sites.map { rows["\($0.file):1"] ?? -1 }
        }
        for round in 0..<3 { for site in sites { stream.run(site: site, at: 1 + Double(round), duration: 0.5) } }
        #expect(stream.model.gatheredCount == 24)
        stream.model.refreshSummaries(limit: 1)
        #expect(counts().filter { $0 == 3 }.count == 1)
        #expect(counts().filter { $0 == 0 }.count == 7)
        #expect(stream.model.gatheredCount == 21)  // the other sites' values are still gathered
        for _ in 0..<7 { stream.model.refreshSummaries(limit: 1) }
        #expect(counts() == Array(repeating: 3, count: 8))
        for site in sites { stream.run(site: site, at: 5, duration: 0.5) }
        stream.model.refreshSummaries(limit: 2)
        stream.model.evaluate()
        #expect(counts() == Array(repeating: 4, count: 8))
    }

    /// Waits are gathered like durations, once a child of the site has waited.
    @Test func waitsGatheredBeforeAReadAreInIt() {
        var stream = Self.rarelyEvaluated()
        stream.open(1, at: 0, limit: 1)
        for i in 0..<5 {
            let task = stream.spawn(at: Double(i))
            stream.start(task, at: Double(i) + 0.25, waited: 0.25)
        }
        let waits = stream.model.statistics(for: HealthStream.site)!.summary.waits
        #expect(waits.count == 5)
        #expect(abs(Double(waits.p50) - 250_000_000) <= 2_500_000)
    }
}
