import Foundation
import GroupEvents
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// `safegroup list` over a private `XDG_RUNTIME_DIR`: live services with their details, and
/// stale sockets shown as stale and left in place.
@Suite struct ListCommandTests {
    @Test func listShowsALiveServiceAndAStaleSocketWithoutDeletingIt() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let runtime = dir.path
        let sockets = "\(runtime)/safegroup"
        #expect(mkdir(sockets, 0o700) == 0)
        let live = try MonitorFixture(socket: "\(sockets)/fixture-\(getpid()).sock")
        defer { live.quit() }
        let stalePath = "\(sockets)/crashed-99.sock"
        let crashed = try MonitorFixture(socket: stalePath)
        crashed.kill9()
        let environment = ["XDG_RUNTIME_DIR": runtime]

        let json = try await safegroup(["list", "--json"], environment: environment, in: dir)
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]],
                                   "not a JSON array: \(json.stdoutText)")
        let liveEntry = try #require(entries.first { $0["socket"] as? String == "\(sockets)/fixture-\(getpid()).sock" })
        #expect(liveEntry["state"] as? String == "live")
        #expect(liveEntry["service"] as? String == "fixture")
        #expect((liveEntry["pid"] as? NSNumber)?.int32Value == live.servingPID)
        #expect((liveEntry["viewers"] as? NSNumber)?.intValue == 0, "list does not count itself")
        let staleEntry = try #require(entries.first { $0["socket"] as? String == stalePath })
        #expect(staleEntry["state"] as? String == "stale")

        let text = try await safegroup(["list"], environment: environment, in: dir)
        #expect(text.status == 0)
        let staleLine = try #require(text.stdoutText.split(separator: "\n").first { $0.hasSuffix(stalePath) })
        #expect(staleLine.contains("stale"))
        let liveLine = try #require(text.stdoutText.split(separator: "\n").first { $0.hasSuffix("fixture-\(getpid()).sock") })
        #expect(liveLine.contains("live") && liveLine.contains("\(live.servingPID)"))

        var st = stat()
        #expect(lstat(stalePath, &st) == 0, "list removed the stale socket")
        #expect(lstat(stalePath + ".lock", &st) == 0, "list removed the stale lock file")
    }

    @Test func recordWithoutASocketRefusesSeveralServicesAndListsThem() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let sockets = "\(dir.path)/safegroup"
        #expect(mkdir(sockets, 0o700) == 0)
        let first = try MonitorFixture(socket: "\(sockets)/one-1.sock")
        defer { first.quit() }
        let second = try MonitorFixture(socket: "\(sockets)/two-2.sock")
        defer { second.quit() }
        // /tmp/safegroup-<uid> may hold other services of this user too: the count is at least 2.
        let result = try await safegroup(["record", "-o", dir.file("x.ndjson")], environment: ["XDG_RUNTIME_DIR": dir.path], in: dir)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("safegroup: "))
        #expect(result.stderr.contains("one pid 1") && result.stderr.contains("two pid 2"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("choose one with SOCKET or --pid"))
    }

    @Test func recordWithPIDFindsTheServiceEvenWhenItsSocketNameHasAnotherPID() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let sockets = "\(dir.path)/safegroup"
        #expect(mkdir(sockets, 0o700) == 0)
        // Named like a default path, but with a pid that is not the fixture's.
        let fixture = try MonitorFixture(socket: "\(sockets)/named-1.sock")
        defer { fixture.quit() }
        let file = dir.file("by-pid.ndjson")
        let result = try await safegroup(["record", "--pid", "\(fixture.servingPID)", "-o", file, "--duration", "0.5"],
                                         environment: ["XDG_RUNTIME_DIR": dir.path], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let decoded = try decodeStream(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(decoded.records.first == .header(try #require(decoded.records.compactMap {
            if case .header(let h) = $0 { h } else { nil } }.first)))
        let pids = decoded.records.compactMap { if case .header(let h) = $0 { h.pid } else { nil } }
        #expect(pids == [fixture.servingPID])
    }
}
