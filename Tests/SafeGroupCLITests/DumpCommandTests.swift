import Foundation
import GroupEvents
import Testing
import TestSupport

/// `safegroup dump` on hostile and unreadable files: nothing a terminal acts on reaches stdout,
/// bad lines are reported by number and skipped, an unknown major version is refused.
@Suite struct DumpCommandTests {
    static let site = SourceSite(file: "Evil/\u{1B}[2JFile.swift", line: 7)
    static let hostile = [
        "\u{1B}]0;pwned\u{07}",                 // OSC: set the terminal's title
        "\u{1B}[31mred\u{1B}[0m\u{1B}[2J",     // SGR and erase-screen
        "abc\u{202E}txt.exe\u{2066}x\u{2069}", // bidi override and isolates
        "csi\u{9B}31m and nel\u{85}",          // C1 controls, CSI as one code point
        "del\u{7F} bell\u{07} nul\u{00} newline\nsecond line",
        "lrm\u{200E}rlm\u{200F}alm\u{061C}ls\u{2028}ps\u{2029}",
    ]

    /// A file with hostile strings in every kind of text field, then bad lines.
    static func hostileFile() -> (bytes: [UInt8], malformedLine: Int) {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: "svc\u{1B}]0;pwned\u{07}\u{202E}", pid: 1, epochUnixNanoseconds: 0), into: &bytes)
        var seq: UInt64 = 0
        for (index, text) in hostile.enumerated() {
            let task = TaskID(UInt64(index + 1)), group = GroupID(1)
            let events: [Event.Kind] = [
                .groupOpened(GroupOpened(group: group, name: text, site: site, policy: .collectAll)),
                .taskSpawned(TaskSpawned(task: task, group: group, name: text, site: site)),
                .taskStarted(TaskStarted(task: task, group: group)),
                .faultRecorded(FaultInfo(task: task, taskName: text, group: group, groupName: text, site: site,
                                         kind: .error, errorType: text, message: text,
                                         startedAt: MonotonicTime(nanoseconds: 1), endedAt: MonotonicTime(nanoseconds: 2),
                                         stackOrigin: StackOrigin(rawValue: text), stack: [StackFrame(symbol: text, file: text, line: 3)])),
                .taskEnded(TaskEnded(task: task, group: group, status: .failed, durationNanoseconds: 12_300_000)),
            ]
            for kind in events {
                seq += 1
                encoder.encode(Event(time: MonotonicTime(nanoseconds: seq * 1000), kind), seq: seq, into: &bytes)
            }
        }
        // A raw ESC byte inside a string is not valid JSON: malformed, and never printed.
        bytes += Array(#"{"seq":900,"t":1,"type":"task.spawned","task":1,"group":1,"name":"raw"#.utf8) + [0x1B]
            + Array(#"[2J","site":{"file":"f","line":1}}"#.utf8) + [0x0A]
        let malformedLine = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count - 1
        // A line longer than the reader's 1 MiB limit, full of escape bytes.
        bytes += Array(#"{"seq":901,"t":1,"type":"heartbeat","x":""#.utf8)
            + [UInt8](repeating: 0x1B, count: 1 << 20) + Array(#"","produced":1,"dropped":0}"#.utf8) + [0x0A]
        // A torn last line: the writer stopped mid-line.
        bytes += Array(#"{"seq":902,"t":1,"type":"task.ended","task":1,"gro"#.utf8)
        return (bytes, malformedLine)
    }

    /// Fails if `bytes` hold a byte below 0x20 other than a newline, or an ESC, DEL, C1 or bidi code point.
    static func expectTerminalSafe(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let controls = bytes.filter { $0 < 0x20 && $0 != 0x0A }
        #expect(controls.isEmpty, "control bytes on stdout: \(Set(controls).sorted())", sourceLocation: sourceLocation)
        let text = String(decoding: bytes, as: UTF8.self)
        // Listed here rather than taken from TextSanitizer, so a gap there cannot hide here.
        let unsafe = text.unicodeScalars.filter { scalar in
            switch scalar.value {
            case 0x0A: false
            case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }
        #expect(unsafe.isEmpty, "unsafe code points on stdout: \(unsafe.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
    }

    @Test func dumpOfAHostileFilePrintsNothingATerminalActsOnAndReportsTheBadLines() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let (bytes, malformedLine) = Self.hostileFile()
        let path = dir.file("hostile.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let result = try await safegroup(["dump", path], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        Self.expectTerminalSafe(result.stdout)
        // The hostile text is shown, escaped, not dropped.
        #expect(result.stdoutText.contains(#"'\u{1B}]0;pwned\u{7}'"#))
        #expect(result.stdoutText.contains(#"abc\u{202E}txt.exe"#))
        #expect(result.stdoutText.contains(#"csi\u{9B}31m"#))
        #expect(result.stdoutText.contains("      0 "), "a fault's stack frames are printed, indented")
        #expect(result.stdoutText.contains("task.ended t1 "))
        #expect(result.stderr.contains("line \(malformedLine): malformed"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("longer than"))
        #expect(result.stderr.contains("ended inside this line"))
        let summary = try #require(result.stderrLines.last)
        #expect(summary.contains("1 header, 30 events"), "summary: \(summary)")
        #expect(summary.contains("1 malformed") && summary.contains("1 over-long") && summary.contains("1 torn"), "summary: \(summary)")
        Self.expectTerminalSafe(Array(result.stderr.utf8))
    }

    @Test func dumpJSONOfAHostileFileIsTerminalSafeAndDecodesToTheSameEvents() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let (bytes, _) = Self.hostileFile()
        let path = dir.file("hostile.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let result = try await safegroup(["dump", "--json", path], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        Self.expectTerminalSafe(result.stdout)
        let printed = try decodeStream(result.stdout)
        let original = try decodeStream(bytes)
        #expect(printed.counters.malformed == 0 && printed.counters.torn == 0)
        #expect(printed.records.events.map(\.event) == original.records.events.map(\.event))
        #expect(printed.records.events.count == 30)
    }

    @Test func anUnknownMajorVersionExitsNonZeroWithOneLine() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let path = dir.file("future.ndjson")
        let lines = [#"{"format":"safegroup-events","version":"2.0","service":"s","pid":1,"epochUnixNs":0,"clock":"monotonic-ns"}"#,
                     #"{"seq":1,"t":1,"type":"dropped","count":1}"#]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))

        for arguments in [["dump", path], ["dump", "--json", path]] {
            let result = try await safegroup(arguments, in: dir)
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
            #expect(result.stderr.hasPrefix("safegroup: "))
            #expect(result.stderr.contains("unsupported wire format version 2.0"))
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func aMissingSourceIsOneLineNamingIt() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let result = try await safegroup(["dump", dir.file("nope.ndjson")], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr == "safegroup: cannot read \(dir.file("nope.ndjson")): no such file or socket\n")
    }

    @Test func dumpOfASocketPrintsTheHeaderAndTheStreamUpToTheFirstHeartbeat() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("live-1.sock")
        let fixture = try MonitorFixture(socket: socket)
        defer { fixture.quit() }
        let result = try await safegroup(["dump", socket], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.first?.hasPrefix("== 'fixture' pid \(fixture.servingPID), wire format \(WireFormat.version)") == true, "\(lines)")
        #expect(lines.last?.contains(" heartbeat produced ") == true, "\(lines)")
        #expect(lines.last?.hasSuffix(" viewers 1") == true, "the dump itself is the one viewer: \(lines)")
    }
}

/// `dump` of the recording a real crashing service left (monitor-fixture's child traps).
@Suite struct DumpCrashTests {
    /// Runs `monitor-fixture crash` until its child has trapped; returns the recording's path.
    static func crashedRecording(in directory: ScratchDirectory) async throws -> String {
        let recording = directory.file("crash.ndjson")
        let fixture = try ChildProcess("monitor-fixture", ["crash", directory.file("svc.sock"), recording, "nil"],
                                       environment: ["SWIFT_BACKTRACE": "enable=no"], in: directory, input: true, output: .lines)
        _ = fixture.readLine()  // "running <pid>"
        // Trap only once the child's start is on disk, so the recording names it.
        let recorded = await eventually {
            let text = (try? String(contentsOfFile: recording, encoding: .utf8)) ?? ""
            return text.contains(#""type":"task.started","task":2"#)
        }
        #expect(recorded)
        fixture.send("not a number")
        let ended = await fixture.waitForExit()
        #expect(ended, "the fixture died of its trap")
        #expect(fixture.terminatingSignal != nil)
        return recording
    }

    @Test func dumpShowsWhichTaskCrashedOfWhichSignalWhyAndItsStack() async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let recording = try await Self.crashedRecording(in: directory)
        let result = try await safegroup(["dump", recording], in: directory)
        #expect(result.status == 0)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        let crash = try #require(lines.firstIndex { $0.contains("process.crashed") }, "\(lines)")
        #expect(lines[crash].contains("process.crashed SIGILL (signal 4) in t2 'doomed' in g1 'jobs' on thread "))
        #expect(lines[crash].contains("Fatal error: Unexpectedly found nil while unwrapping an Optional value"))
        #expect(lines[crash + 1] == "    stack (last gasp, return addresses):")
        #expect(lines[(crash + 2)...].allSatisfy { $0.hasPrefix("      ") && $0.contains(" 0x") })
        // Frames in the executable carry its path and the offset for addr2line.
        #expect(lines[(crash + 2)...].contains { $0.contains("/monitor-fixture+0x") }, "\(lines[(crash + 2)...])")
        #expect(result.stderr.contains("none skipped"), "\(result.stderr)")
        DumpCommandTests.expectTerminalSafe(result.stdout)

        let json = try await safegroup(["dump", "--json", recording], in: directory)
        let records = try decodeStream(json.stdout).records
        guard case .event(_, let last)? = records.last, case .processCrashed(let event) = last.kind else {
            Issue.record("dump --json does not end with the crash: \(records.suffix(2))")
            return
        }
        #expect(event.task == TaskID(2) && event.group == GroupID(1) && event.signal == SIGILL)
    }
}
