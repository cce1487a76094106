import Foundation
import GroupEvents
import Testing
import TestSupport

/// `safegroup dump --sites`: the sites view for scripts, sorted by any column, text or JSON.
@Suite struct DumpSitesTests {
    /// A recording: a child that starts at once and is still running at the end, 66 s later
    /// (stuck: over 60 s, held 5 s); then, from 60 s, 10 quick children at `Api.swift:10`
    /// (2 fail), 4 slow ones at `Batch.swift:20` and one at a hostile site.
    static func recording(in dir: ScratchDirectory) throws -> String {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: "svc", pid: 1, epochUnixNanoseconds: 0), into: &bytes)
        var seq: UInt64 = 0
        func emit(_ ms: UInt64, _ kind: Event.Kind) {
            seq += 1
            encoder.encode(Event(time: MonotonicTime(nanoseconds: ms * 1_000_000), kind), seq: seq, into: &bytes)
        }
        let group = GroupID(1)
        emit(0, .groupOpened(GroupOpened(group: group, name: "g", site: SourceSite(file: "Main.swift", line: 1), policy: .collectAll)))
        emit(0, .taskSpawned(TaskSpawned(task: TaskID(1), group: group, name: "stuck", site: SourceSite(file: "Poll.swift", line: 5))))
        emit(0, .taskStarted(TaskStarted(task: TaskID(1), group: group)))
        for second in 1...59 { emit(UInt64(second) * 1_000, .heartbeat(Heartbeat(produced: seq, dropped: 0, viewers: 0))) }
        var task: UInt64 = 1
        func run(_ site: SourceSite, at ms: UInt64, for duration: UInt64, _ status: TaskStatus) {
            task += 1
            emit(ms, .taskSpawned(TaskSpawned(task: TaskID(task), group: group, name: "t", site: site)))
            emit(ms, .taskStarted(TaskStarted(task: TaskID(task), group: group)))
            emit(ms + duration, .taskEnded(TaskEnded(task: TaskID(task), group: group, status: status, durationNanoseconds: duration * 1_000_000)))
        }
        for i in 0..<10 { run(SourceSite(file: "Api.swift", line: 10), at: 60_000 + UInt64(i) * 100, for: 10, i < 2 ? .failed : .ok) }
        for i in 0..<4 { run(SourceSite(file: "Batch.swift", line: 20), at: 60_000 + UInt64(i) * 100, for: 900, .ok) }
        run(SourceSite(file: "Evil\u{1B}[2J.swift", line: 3), at: 60_050, for: 1, .ok)
        for second in 61...66 { emit(UInt64(second) * 1_000, .heartbeat(Heartbeat(produced: seq, dropped: 0, viewers: 0))) }
        let path = dir.file("sites.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func textListsEverySiteWithItsCountsAndPercentilesAndTheWarnings() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let path = try Self.recording(in: dir)
        let result = try await safegroup(["dump", path, "--sites", "--sort", "started"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("site ") == true)
        #expect(lines.first?.hasSuffix("wait p90") == true)
        // Sorted by started, largest first.
        #expect(lines[1].hasPrefix("Api.swift:10"))
        #expect(lines[1].split(separator: " ").prefix(6) == ["Api.swift:10", "10", "0", "8", "2", "0"])
        #expect(lines[2].hasPrefix("Batch.swift:20"))
        #expect(lines[2].contains("900.0ms"))
        // Hostile text is shown escaped, never passed through.
        #expect(!result.stdout.contains(0x1B))
        #expect(lines.contains { $0.hasPrefix("Evil\\u{1B}[2J.swift:3") })
        #expect(lines.contains("1 warning:"))
        #expect(lines.contains { $0.hasPrefix("  ⚠ stuck t1 at Poll.swift:5: running 66 s") }, "\(lines)")
    }

    @Test func jsonHasAnObjectPerSiteAndWarningSortedByTheChosenColumn() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let path = try Self.recording(in: dir)
        let result = try await safegroup(["dump", path, "--sites", "--json", "--sort", "p99", "--allow", "stuck"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let objects = try result.stdoutText.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(objects.map { $0["site"] as? String } == ["Batch.swift:20", "Api.swift:10", "Evil\\u{1B}[2J.swift:3", "Poll.swift:5"])
        #expect(objects[0]["p99Ns"] as? Int == 900_000_000 || (objects[0]["p99Ns"] as? Int).map { abs($0 - 900_000_000) < 9_000_000 } == true)
        #expect(objects[1]["failed"] as? Int == 2)
        #expect(objects[1]["faultRate"] as? Double == 0.2)
        // --allow stuck: no warning objects.
        #expect(!objects.contains { $0["warning"] != nil })
        let reversed = try await safegroup(["dump", path, "--sites", "--json", "--sort", "p99", "--reverse"], in: dir)
        #expect(reversed.stdoutText.split(separator: "\n").first?.contains("\"site\":\"Poll.swift:5\"") == true)
        #expect(reversed.stdoutText.contains("{\"warning\":\"stuck\",\"task\":1,\"site\":\"Poll.swift:5\""))
    }

    @Test func anUnknownColumnOrWarningIsOneLineNamingTheKnownOnes() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let path = try Self.recording(in: dir)
        let column = try await safegroup(["dump", path, "--sites", "--sort", "latency"], in: dir)
        #expect(column.status != 0)
        #expect(column.stderrLines.first == "Error: --sort: unknown column 'latency' (known: site, started, running, ok, failed, timed-out, cancelled, crashed, fault-rate, p50, p90, p99, max, wait-p90)")
        let warning = try await safegroup(["dump", path, "--sites", "--warn", "polls"], in: dir)
        #expect(warning.stderrLines.first == "Error: --warn: unknown warning 'polls' (known: stuck, queueing, fault-rate, growing, slow-cancel, all)")
    }
}
