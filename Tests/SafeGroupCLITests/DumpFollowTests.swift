import Foundation
import GroupEvents
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// `dump --follow` on a file that is recorded again: truncated in place (`record -o` on it) or
/// replaced by another file; the new session is printed under its own header, with a note.
@Suite struct DumpFollowTests {
    static let site = SourceSite(file: "Tests/Follow.swift", line: 1)

    /// A session of `service` whose one group is named `group`, padded with `tasks` spawns.
    static func session(_ service: String, group: String, tasks: Int) -> [UInt8] {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: service, pid: 7, epochUnixNanoseconds: 0), into: &bytes)
        encoder.encode(Event(time: MonotonicTime(nanoseconds: 1), .groupOpened(GroupOpened(
            group: GroupID(1), name: group, site: site, policy: .collectAll))), seq: 1, into: &bytes)
        for index in 0..<tasks {
            encoder.encode(Event(time: MonotonicTime(nanoseconds: UInt64(2 + index)), .taskSpawned(TaskSpawned(
                task: TaskID(UInt64(index + 1)), group: GroupID(1), name: "padding-\(index)", site: site))),
                seq: UInt64(2 + index), into: &bytes)
        }
        return bytes
    }

    static func write(_ bytes: [UInt8], to path: String, flags: Int32) {
        let fd = open(path, O_WRONLY | O_CREAT | flags, 0o600)
        precondition(fd >= 0, "cannot open \(path)")
        bytes.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    @Test(arguments: ["truncated", "replaced"])
    func followStartsOverWhenTheFileIsRecordedAgain(_ how: String) async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let file = directory.file("rec.ndjson")
        Self.write(Self.session("first-session", group: "before-restart", tasks: 40), to: file, flags: O_TRUNC)
        let dump = try CommandProcess(["dump", "--follow", file], in: directory)
        defer { dump.child.kill() }
        #expect(await eventually(within: .seconds(10)) { dump.outputSoFar.contains("'before-restart'") },
                "the first session was not printed:\n\(dump.outputSoFar)")

        // Shorter than the first: read on from the old offset, it would never be seen.
        let second = Self.session("second-session", group: "after-restart", tasks: 1)
        if how == "truncated" {
            Self.write(second, to: file, flags: O_TRUNC)
        } else {
            Self.write(second, to: file + ".new", flags: O_TRUNC)
            #expect(rename(file + ".new", file) == 0)
        }
        let seen = await eventually(within: .seconds(10)) { dump.outputSoFar.contains("'after-restart'") }
        #expect(seen, "the new session was not printed:\n\(dump.outputSoFar)")
        let output = dump.outputSoFar
        if let header = output.range(of: "'second-session'"), let group = output.range(of: "'after-restart'") {
            #expect(header.lowerBound < group.lowerBound, "the new session's events came before its header:\n\(output)")
        }
        #expect(output.components(separatedBy: "'after-restart'").count == 2, "printed more than once:\n\(output)")
        #expect(dump.errorsSoFar.contains("was \(how)"), "no note that the file was \(how):\n\(dump.errorsSoFar)")
        kill(dump.pid, SIGINT)
        let result = await dump.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
    }
}

/// A plain `dump` stopped by SIGINT or SIGTERM prints what it read, whole lines, and its summary.
@Suite struct DumpInterruptTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedDumpFlushesItsLinesAndSummarizes(_ signal: Int32) async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let file = directory.file("big.ndjson")
        Self.writeRecording(to: file, tasks: 60_000)
        let dump = try ChildProcess("safegroup", ["dump", file], in: directory, output: .lines)
        // Nobody reads yet: the dump fills the pipe and waits in write, with output buffered.
        try await Task.sleep(for: .milliseconds(700))
        dump.signal(signal)
        let printed = Array(dump.readToEnd().utf8)
        let stderr = dump.errorsSoFar
        #expect(dump.exitStatus == 128 + signal, "\(dump.terminatingSignal.map { "signal \($0)" } ?? "status \(dump.status)"): \(stderr)")
        #expect(printed.last == UInt8(ascii: "\n"), "the output ends in the middle of a line")
        #expect(stderr.contains("interrupted before its end") && stderr.contains(" events; "), "no summary: \(stderr)")
        let lines = String(decoding: printed, as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.hasPrefix("== 'big'") == true)
        #expect(lines.count > 1_000 && lines.count < 120_001, "\(lines.count) lines")
    }

    static func writeRecording(to path: String, tasks: Int) {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: "big", pid: 1, epochUnixNanoseconds: 0), into: &bytes)
        let site = SourceSite(file: "Big.swift", line: 1)
        for task in 1...tasks {
            encoder.encode(Event(time: MonotonicTime(nanoseconds: UInt64(task)), .taskSpawned(TaskSpawned(
                task: TaskID(UInt64(task)), group: GroupID(1), name: "task-\(task)", site: site))), seq: UInt64(2 * task), into: &bytes)
            encoder.encode(Event(time: MonotonicTime(nanoseconds: UInt64(task) + 1), .taskEnded(TaskEnded(
                task: TaskID(UInt64(task)), group: GroupID(1), status: .ok, durationNanoseconds: 1))), seq: UInt64(2 * task + 1), into: &bytes)
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    }
}
