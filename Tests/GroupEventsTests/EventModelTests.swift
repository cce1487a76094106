import GroupEvents
import Testing

@Test func sourceSiteFromLiteralAndTextAreEqual() {
    let a = SourceSite(fileID: "Mod/File.swift", line: 12)
    let b = SourceSite(file: "Mod/File.swift", line: 12)
    #expect(a == b)
    #expect(a.hashValue == b.hashValue)
    #expect(a.description == "Mod/File.swift:12")
}

@Test func monotonicTimeAdvances() async throws {
    let a = MonotonicTime.now()
    try await Task.sleep(for: .milliseconds(2))
    let b = MonotonicTime.now()
    #expect(b.nanoseconds(since: a) >= 2_000_000)
    #expect(a.nanoseconds(since: b) == 0)
}

/// `now()` reads the clock directly and an `Instant` goes through `ContinuousClock`: both must
/// count the same clock from the same epoch.
@Test func monotonicTimeNowAgreesWithContinuousClock() {
    for _ in 0..<1_000 {
        let before = MonotonicTime.now()
        let instant = ContinuousClock.now
        let after = MonotonicTime.now()
        let converted = MonotonicTime(instant)
        #expect(before <= converted && converted <= after, "\(before) <= \(converted) <= \(after)")
    }
    // And back: the instant of a time is that time.
    let now = MonotonicTime.now()
    #expect(MonotonicTime(now.instant) == now)
}

private let epochOffsets: [(Duration, UInt64)] = [
    (.zero, 0),
    (.nanoseconds(1), 1),
    (.nanoseconds(999_999_999), 999_999_999),
    (.seconds(1), 1_000_000_000),
    (.seconds(31_536_000) + .nanoseconds(7), 31_536_000_000_000_007),  // a year: past 2^64 attoseconds
    (.seconds(1) + Duration(secondsComponent: 0, attosecondsComponent: 999_999_999), 1_000_000_000),  // below a nanosecond is cut, not rounded
    (.nanoseconds(-1), 0),  // before the epoch
]

@Test(arguments: epochOffsets)
func monotonicTimeOfAnInstantCountsNanosecondsFromTheEpoch(offset: Duration, nanoseconds: UInt64) {
    #expect(MonotonicTime(MonotonicEpoch.instant.advanced(by: offset)).rawValue == nanoseconds)
}
