import Foundation
import GroupEvents
@testable import GroupMonitor
import Testing
import Glibc
import SystemCalls
import TestSupport

/// Behaviours that need a second, real process: `monitor-fixture`.
@Suite("Monitor against other processes")
struct MonitorProcessTests {
    @Test func secondLiveInstanceOnTheSamePathIsRefused() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let path = dir.file("svc.sock")
        let fixture = try FixtureProcess(["serve", path])
        #expect(fixture.readLine()?.hasPrefix("ready") == true)

        let error = #expect(throws: MonitorError.self) { try startMonitor(at: path) }
        #expect(error?.code == .alreadyRunning)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("SAFEGROUP_SOCKET") == true)
        // The refused instance left the live one alone.
        let client = try TestClient(path: path)
        client.read(until: { !$0.isEmpty })
        #expect(client.headers.first?.pid == fixture.pid)

        fixture.quit()
        #expect(try Posix.lstat(path) == nil)
        #expect(try Posix.lstat(path + ".lock") == nil)
    }

    @Test func staleSocketOfAKilledProcessIsReplaced() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let path = dir.file("svc.sock")
        let fixture = try FixtureProcess(["serve", path])
        #expect(fixture.readLine()?.hasPrefix("ready") == true)
        fixture.kill9()
        #expect(try Posix.lstat(path).map { $0.st_mode & S_IFMT } == S_IFSOCK, "kill -9 leaves the socket behind")

        let monitor = try startMonitor(at: path)
        defer { monitor.shutdown() }
        let client = try TestClient(path: path)
        client.read(until: { !$0.isEmpty })
        #expect(client.headers.first?.pid == getpid())
    }

    @Test func peerOfAnotherUidReadsNothingAndIsCounted() async throws {
        try #require(getuid() == 0, "needs root to run a client as another user")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"))
        let dir = ScratchDirectory(prefix: "sgmon")
        // Let `nobody` reach the socket file, so that SO_PEERCRED is the only thing refusing it.
        chmod(dir.path, 0o755)
        let monitor = try startMonitor(at: dir.file("svc.sock"))
        defer { monitor.shutdown() }
        chmod(monitor.socketPath, 0o666)
        monitor.emit(Lifecycle.opened(1))

        // The build folder may sit under a directory `nobody` cannot enter (a clone in a
        // `mktemp -d` folder, mode 0700): run a copy from the open directory instead.
        let executable = dir.file("monitor-fixture")
        try FileManager.default.copyItem(atPath: FixtureProcess.executablePath, toPath: executable)
        chmod(executable, 0o755)
        let peer = try FixtureProcess(["peer", monitor.socketPath], asUser: "nobody", executable: executable)
        let reply = peer.readLine()
        peer.child.waitUntilExit()
        #expect(reply == "read 0")
        #expect(monitor.statistics.peersRefused == 1)
        #expect(monitor.statistics.viewersAccepted == 0)
    }

    @Test func tenThousandConnectCyclesDuringAFanOutLeaveTheMonitorUpAndNoDescriptorsBehind() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let path = dir.file("svc.sock")
        let fixture = try FixtureProcess(["serve", path, "--fanout"])
        #expect(fixture.readLine()?.hasPrefix("ready") == true)
        let baseline = try #require(fixture.ask("fds"))

        for _ in 0..<10_000 {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            try Posix.connect(fd, path: path)
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
        }

        // The monitor closes its side as it notices each hang-up; give it the time it needs.
        let settled = await eventually { fixture.ask("fds") == baseline }
        #expect(settled, "open descriptors back at \(baseline)")
        let stats = try #require(fixture.ask("stats"))
        #expect(stats.contains("viewers=0"))
        let fields = Dictionary(uniqueKeysWithValues: stats.split(separator: " ").dropFirst().map {
            let pair = $0.split(separator: "=")
            return (String(pair[0]), UInt64(pair[1]) ?? 0)
        })
        #expect(fields["accepted", default: 0] + fields["refused", default: 0] == 10_000, "every connection was seen")
        #expect(fields["produced", default: 0] > 0, "the fan-out ran meanwhile")
        let client = try TestClient(path: path)
        client.read(until: { !$0.isEmpty })
        #expect(client.headers.count == 1, "the monitor still serves")
        fixture.quit()
        #expect(fixture.child.exitStatus == 0)
    }
}
