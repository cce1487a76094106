import Foundation
import Testing
import TestSupport

/// Remote attach end to end: the real `safegroup` reaches a real `demo-service` behind a real
/// `sshd` (the test's own, on 127.0.0.1) through the system's `ssh`, never a TCP port of ours.
@Suite(.serialized)
struct SSHAttachEndToEndTests {
    typealias E2E = DashboardEndToEndTests

    /// `safegroup ARGS` with the server's ssh first in PATH; its status and standard error.
    static func safegroup(_ arguments: [String], path: String, in directory: ScratchDirectory) async throws -> (status: Int32, output: String, errors: String) {
        let child = try ChildProcess(safegroupPath, arguments, environment: ["PATH": path], in: directory)
        let ended = await child.waitForExit(within: .seconds(60))
        if !ended { child.kill() }
        #expect(ended, "safegroup \(arguments) did not end")
        let result = child.result
        return (result.status, String(decoding: result.stdout, as: UTF8.self), String(decoding: result.stderr, as: UTF8.self))
    }

    @Test func attachOverSSHShowsTheRemoteServiceThroughARestartAndQuitExitsZero() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        let socket = directory.file("svc.sock")
        var service = try DemoServiceProcess(socket: socket, name: "ssh-e2e", seed: 41)
        defer { service.kill() }
        try #require(await service.waitForSocket(), "demo-service never served \(socket): \(service.diagnosis)")

        let started = Date()
        let pane = try TmuxPane(columns: 160, rows: 48)
        defer { pane.kill() }
        try pane.type("PATH=\(server.path) \(safegroupPath) attach \(server.address)\(socket)" + E2E.echoExitStatus)
        let first = service.pid
        let live = try await pane.waitForScreen(within: .seconds(30)) { screen in
            let header = E2E.header(of: screen)
            return header.contains("ssh-e2e") && header.contains("pid \(first)") && header.contains("● connected")
                && E2E.trackedTasks(in: screen) > 0
        }
        #expect(live.matched, "no live dashboard of the service behind sshd (pid \(first)):\n\(live.screen)")

        // The remote service stops and starts again on the same socket: the dashboard follows it
        // through the same ssh forward, as it would a local socket.
        #expect(await service.stop(SIGTERM), "demo-service did not stop on SIGTERM")
        service = try DemoServiceProcess(socket: socket, name: "ssh-e2e", seed: 42)
        let second = service.pid
        let back = try await pane.waitForScreen(within: .seconds(30)) { screen in
            let header = E2E.header(of: screen)
            return header.contains("pid \(second)") && header.contains("● connected") && E2E.trackedTasks(in: screen) > 0
        }
        #expect(back.matched, "the restarted remote service (pid \(second)) was not attached again:\n\(back.screen)")

        try pane.press("q")
        let exited = try await pane.waitForScreen(within: .seconds(15)) { !E2E.lines(of: $0, startingWith: "EXIT=").isEmpty }
        #expect(E2E.lines(of: exited.screen, startingWith: "EXIT=") == ["EXIT=0"], "no EXIT=0 after q:\n\(exited.screen)")
        // The forward's ssh is gone with the dashboard, and so is its private directory.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { name in
            guard name.hasPrefix("safegroup-ssh-\(getuid())-"),
                  let made = try? FileManager.default.attributesOfItem(atPath: "/tmp/" + name)[.modificationDate] as? Date else { return false }
            return made >= started
        }
        #expect(leftovers.isEmpty, "forward directories left behind: \(leftovers)")
        #expect(await service.stop(SIGTERM))
    }

    @Test func listDumpAndRecordReachTheRemoteService() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        // In the remote's default place, where 'list ssh://host' looks.
        let service = try DemoServiceProcess(socket: "/tmp/safegroup-\(getuid())/ssh-list-\(getpid()).sock", name: "ssh-list", seed: 43)
        defer { service.kill() }
        try #require(await service.waitForSocket(), "demo-service never served \(service.socket): \(service.diagnosis)")
        let remote = server.address + service.socket

        let list = try await Self.safegroup(["list", server.address, "--json"], path: server.path, in: directory)
        #expect(list.status == 0, "\(list.errors)")
        #expect(list.output.contains("\"socket\":\"\(remote)\""), "list did not show \(remote):\n\(list.output)")
        #expect(list.output.contains("\"service\":\"ssh-list\""), "\(list.output)")
        #expect(list.output.contains("\"pid\":\(service.pid)"), "\(list.output)")

        let dump = try await Self.safegroup(["dump", remote], path: server.path, in: directory)
        #expect(dump.status == 0, "\(dump.errors)")
        #expect(dump.output.hasPrefix("== 'ssh-list' pid \(service.pid)"), "\(dump.output.prefix(300))")
        #expect(dump.output.contains("group.opened"))

        let file = directory.file("remote.ndjson")
        let record = try await Self.safegroup(["record", remote, "--output", file, "--duration", "2"], path: server.path, in: directory)
        #expect(record.status == 0, "\(record.errors)")
        let recorded = try String(contentsOfFile: file, encoding: .utf8)
        #expect(recorded.split(separator: "\n").count > 3, "\(recorded.prefix(300))")
        #expect(recorded.contains("\"service\":\"ssh-list\""))
        #expect(await service.stop(SIGTERM))
    }

    @Test func anUnreachableHostIsOneLineNamingIt() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        // Port 1 of 127.0.0.1: nothing listens there, so the connection is refused.
        let result = try await Self.safegroup(["dump", "ssh://\(NSUserName())@127.0.0.1:1/any.sock"], path: server.path, in: directory)
        #expect(result.status == 1)
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
        #expect(result.errors.hasPrefix("safegroup: cannot reach 127.0.0.1 over ssh:"), "\(result.errors)")
        #expect(result.errors.contains("Connection refused"), "\(result.errors)")
    }

    @Test func aRefusedKeyIsOneLineAndNeverAPasswordPrompt() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        let otherPath = server.otherKeyBinDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try await Self.safegroup(["attach", server.address + "/any.sock"], path: otherPath, in: directory)
        #expect(result.status == 1)
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
        #expect(result.errors.hasPrefix("safegroup: 127.0.0.1 refused the key"), "\(result.errors)")
        #expect(result.errors.contains("Permission denied (publickey)"), "\(result.errors)")
    }

    @Test func noServiceThereIsOneLine() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        let missing = directory.file("nobody-serves-this.sock")
        let result = try await Self.safegroup(["attach", server.address + missing], path: server.path, in: directory)
        #expect(result.status == 1)
        #expect(result.errors == "safegroup: no service on 127.0.0.1: \(missing) is not a socket there (try 'safegroup list \(server.address)')\n")
    }

    /// The pids of processes whose command line contains `text`.
    static func processes(containing text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text)
        }
    }

    @Test func theForwardsSSHEndsWhenSafegroupIsKilled() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        let socket = directory.file("svc.sock")
        let service = try DemoServiceProcess(socket: socket, name: "ssh-kill", seed: 44)
        defer { service.kill() }
        try #require(await service.waitForSocket(), "demo-service never served \(service.socket): \(service.diagnosis)")
        let dump = try ChildProcess(safegroupPath, ["dump", "--follow", server.address + socket], environment: ["PATH": server.path], in: directory)
        defer { dump.kill() }
        #expect(await eventually(within: .seconds(30)) { dump.outputSoFar.contains("group.opened") }, "\(dump.errorsSoFar)")
        let marker = "safegroup-ssh-\(getuid())-\(dump.pid)-"
        let ssh = Self.processes(containing: marker)
        #expect(ssh.count == 1, "no ssh forwarding for safegroup \(dump.pid)")
        // SIGKILL: no cleanup runs in safegroup; its ssh must end anyway.
        dump.kill()
        _ = await dump.waitForExit()
        #expect(await eventually(within: .seconds(15)) { Self.processes(containing: marker).isEmpty },
                "ssh \(ssh) outlived the safegroup that started it")
        // Its forward's directory stays behind until the next forward removes it.
        let abandoned = "/tmp/\(marker)1"
        #expect(FileManager.default.fileExists(atPath: abandoned))
        let next = try await Self.safegroup(["dump", server.address + socket], path: server.path, in: directory)
        #expect(next.status == 0, "\(next.errors)")
        #expect(!FileManager.default.fileExists(atPath: abandoned), "\(abandoned) was not removed")
        #expect(await service.stop(SIGTERM))
    }

    @Test func aForwardWhoseSSHDiesIsStartedAgainAndTheStreamGoesOn() async throws {
        let server = try await SSHServer()
        defer { server.stop() }
        let directory = ScratchDirectory(prefix: "sg-ssh-e2e")
        let socket = directory.file("svc.sock")
        let service = try DemoServiceProcess(socket: socket, name: "ssh-drop", seed: 45)
        defer { service.kill() }
        try #require(await service.waitForSocket(), "demo-service never served \(service.socket): \(service.diagnosis)")
        let dump = try ChildProcess(safegroupPath, ["dump", "--follow", server.address + socket], environment: ["PATH": server.path], in: directory)
        defer { dump.kill() }
        let header = "== 'ssh-drop' pid \(service.pid)"
        #expect(await eventually(within: .seconds(30)) { dump.outputSoFar.contains(header) }, "\(dump.errorsSoFar)")
        let marker = "safegroup-ssh-\(getuid())-\(dump.pid)-"
        let first = Self.processes(containing: marker)
        try #require(first.count == 1, "no ssh forwarding for safegroup \(dump.pid)")
        // The network drops: ssh dies. The tunnel starts a new one, and the client reconnects
        // through it to the same service (a second header of the same process).
        kill(first[0], SIGKILL)
        let again = await eventually(within: .seconds(30)) {
            dump.outputSoFar.components(separatedBy: header).count - 1 >= 2
        }
        #expect(again, "no second attachment after ssh died:\n\(dump.outputSoFar.suffix(800))\n\(dump.errorsSoFar)")
        let second = Self.processes(containing: marker)
        #expect(second.count == 1 && second != first, "ssh was not started again: \(first) then \(second)")
        #expect(dump.isRunning)
        // SIGTERM: dump ends cleanly, closing the forward and removing its directory.
        dump.terminate()
        #expect(await dump.waitForExit())
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)1"), "the forward's directory was left behind")
        #expect(await service.stop(SIGTERM))
    }
}
