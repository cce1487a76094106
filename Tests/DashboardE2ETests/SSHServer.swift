import Foundation
import Testing
import TestSupport

/// An `sshd` of the test's own on 127.0.0.1, a high port, with a throwaway host key and user key:
/// the "remote host" of remote attach. It runs as the test's user (root in CI: root may log in
/// with a key, nothing else), with `StrictModes no` and `UsePAM no` so it needs nothing of the
/// system's configuration.
///
/// ``binDirectory`` holds an `ssh` that is the system's with this server's client config (`-F`):
/// put it first in `PATH` of the `safegroup` under test, which runs "the user's own ssh" from
/// `PATH`. Always ``stop()`` it (in a `defer`).
final class SSHServer {
    static let sshd = "/usr/sbin/sshd"
    static let ssh = "/usr/bin/ssh"
    static let keygen = "/usr/bin/ssh-keygen"

    let directory = ScratchDirectory(prefix: "sg-sshd")
    let port: Int
    private let process: ChildProcess

    /// `ssh://root@127.0.0.1:PORT`.
    var address: String { "ssh://\(NSUserName())@127.0.0.1:\(port)" }
    /// A directory whose `ssh` uses this server's keys and known hosts.
    var binDirectory: String { directory.file("bin") }
    /// `PATH` with ``binDirectory`` first.
    var path: String { binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") }

    init() async throws {
        for tool in [Self.sshd, Self.ssh, Self.keygen] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: install openssh-server and openssh-client (.ci/run does)")
        }
        // Privilege separation needs its empty directory.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let dir = directory.path
        let scratch = directory
        try Self.keygen(dir + "/host_key", in: directory)
        try Self.keygen(dir + "/id", in: directory)
        try Self.keygen(dir + "/other_id", in: directory)
        try FileManager.default.copyItem(atPath: dir + "/id.pub", toPath: dir + "/authorized_keys")
        var started: (Int, ChildProcess)?
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...60_000)
            let config = """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(dir)/host_key
                PidFile \(dir)/sshd.pid
                AuthorizedKeysFile \(dir)/authorized_keys
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                StrictModes no
                UsePAM no
                AllowStreamLocalForwarding yes
                LogLevel ERROR

                """
            try config.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
            let child = try ChildProcess(Self.sshd, ["-D", "-e", "-f", dir + "/sshd_config"], in: directory)
            // Up when a login works; a port in use ends sshd at once.
            Self.writeClient(dir: dir, port: port, identity: "id", name: "bin")
            let up = await eventually(within: .seconds(10)) {
                guard child.isRunning else { return true }
                return (try? Self.run(dir + "/bin/ssh", ["-o", "BatchMode=yes", "-p", "\(port)", "\(NSUserName())@127.0.0.1", "true"], in: scratch)) == 0
            }
            if up && child.isRunning {
                started = (port, child)
                break
            }
            child.kill()
        }
        let (port, process) = try #require(started, "sshd did not start on a free port")
        self.port = port
        self.process = process
        Self.writeClient(dir: dir, port: port, identity: "other_id", name: "bin-other-key")
    }

    /// A directory like ``binDirectory`` whose ssh offers a key the server does not accept.
    var otherKeyBinDirectory: String { directory.file("bin-other-key") }

    func stop() { process.kill() }

    private static func keygen(_ file: String, in directory: ScratchDirectory) throws {
        let status = try run(keygen, ["-q", "-t", "ed25519", "-N", "", "-f", file], in: directory)
        try #require(status == 0, "ssh-keygen failed for \(file)")
    }

    /// Writes `<dir>/<name>/ssh`, the system's ssh with a config that offers only `identity`
    /// and knows only this server's host key.
    private static func writeClient(dir: String, port: Int, identity: String, name: String) {
        let hostKey = (try? String(contentsOfFile: dir + "/host_key.pub", encoding: .utf8)) ?? ""
        let keyFields = hostKey.split(separator: " ").prefix(2).joined(separator: " ")
        try? "[127.0.0.1]:\(port) \(keyFields)\n".write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
        let config = """
            Host *
              IdentityFile \(dir)/\(identity)
              IdentitiesOnly yes
              IdentityAgent none
              UserKnownHostsFile \(dir)/known_hosts
              GlobalKnownHostsFile /dev/null
              StrictHostKeyChecking yes
              LogLevel ERROR

            """
        try? config.write(toFile: "\(dir)/\(name).config", atomically: true, encoding: .utf8)
        try? FileManager.default.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: true)
        let script = "#!/bin/sh\nexec \(ssh) -F \(dir)/\(name).config \"$@\"\n"
        try? script.write(toFile: "\(dir)/\(name)/ssh", atomically: true, encoding: .utf8)
        _ = chmod("\(dir)/\(name)/ssh", 0o755)
    }

    /// Runs a command to its end; its exit status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: ScratchDirectory) throws -> Int32 {
        let child = try ChildProcess(executable, arguments, in: directory)
        return child.waitUntilExit()
    }
}
