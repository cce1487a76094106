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
