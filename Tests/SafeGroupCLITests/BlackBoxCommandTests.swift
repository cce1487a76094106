import Foundation
import GroupEvents
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Reading black boxes with the CLI: a service (`monitor-fixture blackbox`) with no viewer
/// crashes or is killed, and `list`, `dump`, `replay`'s loader and `blackbox` read what it left.
@Suite("Black boxes in the CLI", .serialized)
struct BlackBoxCommandTests {
    /// Runs the fixture with its box in `<dir>/safegroup` until it traps (`trap`) or is killed
    /// (`serve`); returns the box's path and the fixture's pid.
    static func leaveABox(_ how: String, in dir: ScratchDirectory) async throws -> (path: String, pid: Int32) {
        let socket = dir.file("svc-\(how).sock")
        let child = try ChildProcess("monitor-fixture", ["blackbox", socket, how] + (how == "trap" ? ["--handler"] : []),
                                     environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on", "SWIFT_BACKTRACE": "enable=no"],
                                     in: dir, input: true, output: .lines)
        let line = try #require(child.readLine())
        #expect(line.hasPrefix("box "), "\(line) \(child.errorsSoFar)")
        let path = String(line.dropFirst(4))
        _ = child.readLine()  // running / ready
        // The last event before the end is on disk: the child's start, or the warmup's close.
        // (three children have started: the warmup's two, and "doomed" once it runs).
        let written = await eventually {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return false }
            let text = String(decoding: data, as: UTF8.self)
            return how == "trap" ? text.components(separatedBy: #""type":"task.started""#).count == 4
                                 : text.contains(#""type":"group.closed""#)
        }
        #expect(written)
        if how == "trap" { child.send("crash now") } else { child.kill() }
        _ = child.waitUntilExit()
        return (path, child.pid)
    }

    @Test func listShowsBoxesOfDeadProcessesAndHowTheyEnded() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let crashed = try await Self.leaveABox("trap", in: dir)
        let killed = try await Self.leaveABox("serve", in: dir)
        // A live service's box is not listed (nor read).
        let live = try ChildProcess("monitor-fixture", ["blackbox", dir.file("live.sock"), "serve"],
                                    environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"],
                                    in: dir, input: true, output: .lines)
        let liveBox = String(try #require(live.readLine()).dropFirst(4))
        #expect(live.readLine()?.hasPrefix("ready") == true)
        defer { live.send("quit"); _ = live.waitUntilExit() }
        let result = try await safegroup(["list"], environment: ["XDG_STATE_HOME": dir.path, "XDG_RUNTIME_DIR": dir.path], in: dir)
        #expect(!result.stdoutText.contains(liveBox), "\(result.stdoutText)")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("BLACK BOX") && $0.contains("LAST EVENT") && $0.contains("ENDED") })
        let crashLine = try #require(lines.first { $0.hasSuffix(crashed.path) }, "\(result.stdoutText)")
        #expect(crashLine.hasPrefix("fixture ") && crashLine.contains(" \(crashed.pid) ") && crashLine.contains("crashed (SIGILL)"))
        #expect(crashLine.contains("KiB"))
        let killLine = try #require(lines.first { $0.hasSuffix(killed.path) }, "\(result.stdoutText)")
        #expect(killLine.contains("ended without a word") && killLine.contains(" \(killed.pid) "))
    }

    @Test func dumpReadsABoxWithTheCrashLast() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let box = try await Self.leaveABox("trap", in: dir)
        let text = try await safegroup(["dump", box.path], in: dir)
        #expect(text.status == 0, "\(text.stderr)")
        let events = text.stdoutText.split(separator: "\n").filter { !$0.hasPrefix(" ") }
        #expect(events.first?.contains("fixture") == true && events.first?.contains("\(box.pid)") == true, "the header from the box: \(events.prefix(2))")
        #expect(events.last?.contains("process.crashed SIGILL") == true, "\(events.suffix(2))")
        #expect(text.stdoutText.contains("flaky-upstream"))

        let json = try await safegroup(["dump", "--json", box.path], in: dir)
        #expect(json.status == 0)
        let decoded = try decodeStream(json.stdout)
        guard case .processCrashed(let crash)? = decoded.records.events.last?.event.kind else {
            Issue.record("dump --json of the box does not end with the crash")
            return
        }
        #expect(crash.signal == SIGILL)
        #expect(decoded.counters.malformed == 0)
    }

    @Test func blackboxCopiesTheNewestDeadBoxOutAsARecording() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let box = try await Self.leaveABox("trap", in: dir)
        let out = dir.file("copy.ndjson")
        let result = try await safegroup(["blackbox", "-o", out], environment: ["XDG_STATE_HOME": dir.path], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("crashed (SIGILL)") && result.stderr.contains(out))
        let decoded = try decodeStream([UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        guard case .header(let header)? = decoded.records.first else {
            Issue.record("the copy does not start with a header")
            return
        }
        #expect(header.pid == box.pid && header.service == "fixture")
        if case .processCrashed? = decoded.records.events.last?.event.kind {} else {
            Issue.record("the copy does not end with the crash")
        }
        // The copy is an ordinary recording: dump reads it like the box itself.
        let fromCopy = try await safegroup(["dump", out], in: dir)
        let fromBox = try await safegroup(["dump", box.path], in: dir)
        #expect(fromCopy.stdoutText == fromBox.stdoutText)
    }

    @Test func blackboxRefusesAFileThatIsNotABox() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let file = dir.file("plain.ndjson")
        FileManager.default.createFile(atPath: file, contents: Data("hello\n".utf8))
        let result = try await safegroup(["blackbox", file], in: dir)
        #expect(result.status == 1)
        #expect(result.stderrLines == ["safegroup: \(file) is not a black box (for a recording, use 'safegroup dump' or 'replay')"])

        let none = try await safegroup(["blackbox"], environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": ""], in: dir)
        #expect(none.status == 1)
        #expect(none.stderrLines.count == 1 && none.stderr.contains("no black box left by a process that died"), "\(none.stderr)")
    }

    /// A live process's box changes under the reader: replay, dump and blackbox refuse it, and
    /// say how to get a copy.
    @Test func aLiveBoxIsRefusedWithTheWayToASnapshot() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let live = try ChildProcess("monitor-fixture", ["blackbox", dir.file("live.sock"), "serve"],
                                    environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"],
                                    in: dir, input: true, output: .lines)
        let box = String(try #require(live.readLine()).dropFirst(4))
        #expect(live.readLine()?.hasPrefix("ready") == true)
        defer { live.send("quit"); _ = live.waitUntilExit() }
        for command in [["dump", box], ["blackbox", box, "-o", dir.file("copy.ndjson")], ["replay", box]] {
            let result = try await safegroup(command, in: dir)
            #expect(result.status == 1, "\(command)")
            #expect(result.stderrLines.count == 1 && result.stderr.contains("still running") && result.stderr.contains("'safegroup snapshot SOCKET'"),
                    "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("copy.ndjson")))
    }
}
