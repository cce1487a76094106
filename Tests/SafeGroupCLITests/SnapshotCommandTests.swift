import Foundation
import GroupEvents
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A black box copied out of a running service, on demand: `safegroup snapshot SOCKET` and
/// SIGUSR1 (opt-in, never over a handler of the host's own). The service keeps running.
@Suite("Black box snapshots of a running service", .serialized)
struct SnapshotCommandTests {
    /// `monitor-fixture blackbox SOCKET serve`, once it is ready; its socket.
    static func serve(in dir: ScratchDirectory, environment: [String: String], extra: [String] = []) throws -> (ChildProcess, String) {
        let socket = dir.file("svc.sock")
        let child = try ChildProcess("monitor-fixture", ["blackbox", socket, "serve"] + extra,
                                     environment: ["XDG_STATE_HOME": dir.path].merging(environment) { $1 },
                                     in: dir, input: true, output: .lines)
        while let line = child.readLine(), !line.hasPrefix("ready") {}
        return (child, socket)
    }

    static func quit(_ child: ChildProcess) {
        child.send("quit")
        while let line = child.readLine(), line != "bye" {}
        #expect(child.waitUntilExit() == 0, "the service ran on and shut down cleanly")
    }

    static func hasWarmupFault(_ bytes: [UInt8]) throws -> Bool {
        try decodeStream(bytes).records.events.contains {
            if case .faultRecorded(let f) = $0.event.kind { f.taskName == "flaky-upstream" } else { false }
        }
    }

    @Test func snapshotWritesTheRunningServicesBoxToARecording() async throws {
        let dir = ScratchDirectory(prefix: "sgsnap")
        let (child, socket) = try Self.serve(in: dir, environment: ["SAFEGROUP_BLACKBOX": "on"])
        // The warmup group's events reach the ring within a pass of the monitor thread.
        var out = dir.file("snap.ndjson"), result: CommandResult?
        var found = false
        for _ in 0..<50 where !found {
            try? FileManager.default.removeItem(atPath: out)
            result = try await safegroup(["snapshot", socket, "-o", out], in: dir)
            found = result?.status == 0 && ((try? Self.hasWarmupFault([UInt8](Data(contentsOf: URL(fileURLWithPath: out))))) ?? false)
            if !found { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(found, "\(String(describing: result?.stderr))")
        #expect(result?.stdoutText == out + "\n")
        let decoded = try decodeStream([UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        guard case .header(let header)? = decoded.records.first else {
            Issue.record("no header")
            return
        }
        #expect(header.pid == child.pid)
        #expect(decoded.counters.malformed == 0)
        // Without -o: written beside the box, and the path printed.
        let plain = try await safegroup(["snapshot", socket], in: dir)
        #expect(plain.status == 0)
        out = plain.stdoutText.trimmingCharacters(in: .newlines)
        #expect(out.hasPrefix(dir.file("safegroup/fixture-\(child.pid)-")) && out.contains("-snapshot-") && out.hasSuffix(".ndjson"))
        #expect(try Self.hasWarmupFault([UInt8](Data(contentsOf: URL(fileURLWithPath: out)))))
        Self.quit(child)
    }

    @Test func snapshotOfAServiceWithoutABoxSaysSo() async throws {
        let dir = ScratchDirectory(prefix: "sgsnap")
        let (child, socket) = try Self.serve(in: dir, environment: ["SAFEGROUP_BLACKBOX": "off"])
        let result = try await safegroup(["snapshot", socket], in: dir)
        #expect(result.status == 1)
        #expect(result.stderrLines == ["safegroup: \(socket): this service has no black box (turn it on with SAFEGROUP_BLACKBOX=on)"])
        Self.quit(child)
    }

    @Test func sigusr1WritesASnapshotWhenAskedFor() async throws {
        let dir = ScratchDirectory(prefix: "sgsnap")
        let (child, _) = try Self.serve(in: dir, environment: ["SAFEGROUP_BLACKBOX": "on", "SAFEGROUP_BLACKBOX_SIGUSR1": "1"])
        _ = await eventually { child.send("stats"); return child.readLine()?.contains("delivered=0 ") == false }
        child.signal(SIGUSR1)
        let report = try #require(child.readLine())
        let prefix = "report: safegroup: SIGUSR1: black box snapshot written to "
        #expect(report.hasPrefix(prefix), "\(report)")
        let path = String(report.dropFirst(prefix.count))
        #expect(try Self.hasWarmupFault([UInt8](Data(contentsOf: URL(fileURLWithPath: path)))))
        Self.quit(child)
    }

    @Test func sigusr1OfTheHostIsLeftAlone() async throws {
        let dir = ScratchDirectory(prefix: "sgsnap")
        let socket = dir.file("svc.sock")
        let child = try ChildProcess("monitor-fixture", ["blackbox", socket, "serve", "--host-usr1"],
                                     environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on", "SAFEGROUP_BLACKBOX_SIGUSR1": "1"],
                                     in: dir, input: true, output: .lines)
        var lines: [String] = []
        while let line = child.readLine() {
            lines.append(line)
            if line.hasPrefix("ready") { break }
        }
        #expect(lines.contains { $0.contains("SIGUSR1 has a handler of the host's own, left alone") }, "\(lines)")
        child.signal(SIGUSR1)
        #expect(child.readLine() == "host SIGUSR1")
        Self.quit(child)
        let boxes = try FileManager.default.contentsOfDirectory(atPath: dir.file("safegroup"))
        #expect(boxes.isEmpty, "no snapshot written: \(boxes)")
    }

    /// A peer that names a file that is not its snapshot: `-o` must neither move nor remove it.
    static func answer(_ reply: String, in dir: ScratchDirectory) async throws -> CommandResult {
        let socket = dir.file("hostile.sock")
        let server = try ByteServer(path: socket)
        let out = dir.file("out.ndjson")
        let snapshot = try CommandProcess(["snapshot", socket, "-o", out], in: dir)
        try server.serveOnce(Array((reply + "\n").utf8))
        let result = await snapshot.finish()
        #expect(!FileManager.default.fileExists(atPath: out), "nothing written to -o")
        return result
    }

    @Test func snapshotOutputRefusesAPathThatIsNotASnapshot() async throws {
        let dir = ScratchDirectory(prefix: "sgsnap")
        let victim = dir.file("precious.txt")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        let result = try await Self.answer(#"{"snapshot":"\#(victim)"}"#, in: dir)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderrLines[0].contains("nothing was moved"), "\(result.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
    }

    @Test func snapshotOutputRefusesALinkNamedLikeASnapshot() async throws {
        let dir = ScratchDirectory(prefix: "sgsnap")
        let boxes = dir.file("boxes")
        try FileManager.default.createDirectory(atPath: boxes, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try Data("box".utf8).write(to: URL(fileURLWithPath: boxes + "/svc-1-2.blackbox"))
        let victim = dir.file("precious.txt")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        let link = boxes + "/svc-1-2-snapshot-1700000000000.ndjson"
        #expect(symlink(victim, link) == 0)
        let result = try await Self.answer(#"{"snapshot":"\#(link)"}"#, in: dir)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1 && result.stderrLines[0].contains("not a regular file"), "\(result.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == victim, "the link is left where it was")
    }
}
