import Foundation
import GroupEvents
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// `safegroup record` against a real monitor process, and `dump` of what it wrote.
@Suite struct RecordCommandTests {
    @Test func recordThenDumpRoundTrip() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("fixture-1.sock")
        let fixture = try MonitorFixture(socket: socket, fanout: true)
        defer { fixture.quit() }
        let file = dir.file("recording.ndjson")

        let record = try await safegroup(["record", socket, "--output", file, "--duration", "1.5"], in: dir)
        #expect(record.status == 0, "stderr: \(record.stderr)")
        #expect(record.stderr.contains("recorded"))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(bytes.last == UInt8(ascii: "\n"))
        let recorded = try decodeStream(bytes)
        #expect(recorded.counters.headers == 1)
        #expect(recorded.counters.malformed == 0 && recorded.counters.torn == 0)
        guard case .header(let header)? = recorded.records.first else {
            Issue.record("the recording does not start with a header")
            return
        }
        #expect(header.pid == fixture.servingPID)
        #expect(header.service == "fixture")
        let spawned = recorded.records.events.compactMap { if case .taskSpawned(let e) = $0.event.kind { e } else { nil } }
        try #require(!spawned.isEmpty, "the fan-out's children are recorded")

        // Text: every spawned task of the recording appears, with its name.
        let text = try await safegroup(["dump", file], in: dir)
        #expect(text.status == 0, "stderr: \(text.stderr)")
        let lines = text.stdoutText.split(separator: "\n")
        #expect(lines.first?.hasPrefix("== 'fixture' pid \(fixture.servingPID)") == true)
        for task in spawned.prefix(50) {
            #expect(lines.contains { $0.contains("task.spawned \(task.task) 'child'") }, "\(task.task) is missing")
        }
        #expect(lines.count == recorded.counters.events + 1)
        #expect(text.stderrLines.last?.contains("none skipped") == true, "stderr: \(text.stderr)")

        // JSON: canonical lines, so the recording comes back byte for byte.
        let json = try await safegroup(["dump", "--json", file], in: dir)
        #expect(json.status == 0)
        #expect(json.stdout == bytes)
        let reread = try decodeStream(json.stdout)
        #expect(reread.records == recorded.records)

        // And each line is JSON for jq, when jq is installed.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/jq") {
            let jq = try ChildProcess("/usr/bin/jq", ["-c", ".", file], in: dir)
            jq.waitUntilExit()
            #expect(jq.exitStatus == 0)
            let jqLines = jq.outputSoFar.split(separator: "\n")
            #expect(jqLines.count == recorded.counters.lines)
        }
    }

    @Test func recordStopsCleanlyOnSIGINTWithOnlyWholeLines() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("fixture-2.sock")
        let fixture = try MonitorFixture(socket: socket, fanout: true)
        defer { fixture.quit() }
        let file = dir.file("interrupted.ndjson")

        let record = try CommandProcess(["record", socket, "-o", file], in: dir)
        let grew = await eventually {
            ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) > 100_000
        }
        #expect(grew, "the recording never grew past 100 kB")
        kill(record.pid, SIGINT)
        let result = await record.finish()
        #expect(record.child.terminatingSignal == nil, "record died of the signal instead of stopping")
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("recorded"))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(bytes.last == UInt8(ascii: "\n"), "the file ends in a torn line")
        let decoded = try decodeStream(bytes)
        #expect(decoded.counters.torn == 0 && decoded.counters.malformed == 0)
        #expect(decoded.counters.headers == 1)
        #expect(decoded.counters.events > 0)
    }

    /// The recording is 0600 even over an existing wider file, and never written through a
    /// symbolic link planted at its path.
    @Test func recordWritesMode0600AndNeverThroughASymlink() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("fixture-1.sock")
        let fixture = try MonitorFixture(socket: socket)
        defer { fixture.quit() }
        let file = dir.file("existing.ndjson")
        #expect(FileManager.default.createFile(atPath: file, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o644]))
        let record = try await safegroup(["record", socket, "--output", file, "--duration", "0.3"], in: dir)
        #expect(record.status == 0, "stderr: \(record.stderr)")
        var st = stat()
        #expect(stat(file, &st) == 0 && st.st_mode & 0o777 == 0o600, "mode \(String(st.st_mode & 0o777, radix: 8))")

        let target = dir.file("elsewhere")
        #expect(FileManager.default.createFile(atPath: target, contents: Data("keep\n".utf8)))
        let link = dir.file("link.ndjson")
        #expect(symlink(target, link) == 0)
        let refused = try await safegroup(["record", socket, "--output", link, "--duration", "0.3"], in: dir)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("symbolic link"), "stderr: \(refused.stderr)")
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: target)), as: UTF8.self) == "keep\n")
    }

    @Test func recordOfAMissingSocketSaysSoInOneLine() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("gone.sock")
        let result = try await safegroup(["record", socket, "-o", dir.file("x.ndjson")], in: dir)
        #expect(result.status == 1)
        #expect(result.stderr == "safegroup: cannot attach to \(socket): no such socket (is the service running? try 'safegroup list')\n")
    }

    @Test func recordOfABurstIsByteIdenticalToWhatADirectReaderReceived() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("burst.sock")
        // What a direct reader of a service's socket receives: a header, then a burst of every
        // kind of event (escapes, non-ASCII, faults with stacks), as the monitor encodes them.
        let encoder = WireEncoder()
        var stream: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: "burst", pid: 77, epochUnixNanoseconds: 5), into: &stream)
        let site = SourceSite(fileID: "Burst/Load.swift", line: 9)
        for i in 0..<200_000 as Range<UInt64> {
            let task = TaskID(i / 4 + 1)
            let kind: Event.Kind = switch i % 4 {
            case 0: .taskSpawned(TaskSpawned(task: task, group: GroupID(1), name: "job \"\(i)\" ✓", site: site))
            case 1: .taskStarted(TaskStarted(task: task, group: GroupID(1), waitedNanoseconds: i))
            case 2 where i % 1000 == 2:
                .faultRecorded(FaultInfo(task: task, taskName: "job", group: GroupID(1), groupName: "load", site: site, kind: .error,
                                         errorType: "E", message: "line\n\ttab \u{1B}[31m", startedAt: .init(nanoseconds: i), endedAt: .init(nanoseconds: i + 1),
                                         stackOrigin: "throw", stack: [StackFrame(symbol: "f()", file: "F.swift", line: 3)]))
            case 2: .heartbeat(Heartbeat(produced: i, dropped: 0, viewers: 1))
            default: .taskEnded(TaskEnded(task: task, group: GroupID(1), status: .ok, durationNanoseconds: 10))
            }
            encoder.encode(Event(time: .init(nanoseconds: i * 10), kind), seq: i + 1, into: &stream)
        }
        let server = try ByteServer(path: socket)
        let file = dir.file("burst.ndjson")
        let record = try CommandProcess(["record", socket, "--output", file], in: dir)
        try server.serveOnce(stream)
        let whole = await eventually {
            ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) >= stream.count
        }
        #expect(whole, "the recording never reached the stream's size")
        kill(record.pid, SIGINT)
        let result = await record.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("recorded 200000 events"), "stderr: \(result.stderr)")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(bytes.count == stream.count)
        #expect(bytes == stream, "the recording is the bytes the socket carried")
    }
}

/// A one-connection server that writes a prepared stream, for tests of what a reader keeps.
final class ByteServer {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 1) == 0 else { throw MonitorFixture.FixtureFailure(message: "cannot listen on \(path): errno \(errno)") }
    }

    deinit {
        if accepted >= 0 { close(accepted) }
        close(fd)
        unlink(path)
    }

    /// Accepts one reader, writes `bytes` to it whole, and keeps the connection open (the
    /// reader would reconnect after a close), until the server goes.
    func serveOnce(_ bytes: [UInt8]) throws {
        let client = accept(fd, nil, nil)
        guard client >= 0 else { throw MonitorFixture.FixtureFailure(message: "accept failed: errno \(errno)") }
        accepted = client
        var sent = 0
        try bytes.withUnsafeBytes { raw in
            while sent < raw.count {
                let n = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw MonitorFixture.FixtureFailure(message: "send failed: errno \(errno)") }
                sent += n
            }
        }
    }

    private var accepted: Int32 = -1
}
