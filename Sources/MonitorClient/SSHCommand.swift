import GroupEvents
import Glibc
import SystemCalls

/// Runs the user's own `ssh` (found in `$PATH`, with their config, keys and known hosts) for a
/// ``RemoteService``: never a password prompt (`BatchMode=yes`: a prompt hidden behind the
/// dashboard would hang it), never a TCP port of ours.
enum SSHCommand {
    /// The options every run takes, then the port, then `--` and the destination.
    static func arguments(_ remote: RemoteService, options: [String] = []) -> [String] {
        ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
            + options + (remote.port.map { ["-p", String($0)] } ?? []) + ["--", remote.destination]
    }

    /// The `ssh` executable, or an error saying how to get one.
    static func executable() throws(RemoteServiceError) -> String {
        guard let path = Posix.executableInPath("ssh") else {
            throw RemoteServiceError("cannot attach over ssh: no 'ssh' in PATH (install OpenSSH's client, e.g. 'apt-get install openssh-client')")
        }
        return path
    }

    /// What a finished run printed, and how it ended.
    struct Outcome {
        var status: Posix.Exit
        var output: String
        var errors: String
    }

    /// Runs ssh to the remote with `remoteCommand` and waits for it (ssh's ConnectTimeout and
    /// keepalives bound the wait on a host that does not answer).
    static func run(_ remote: RemoteService, remoteCommand: String) async throws(RemoteServiceError) -> Outcome {
        let ssh = try executable()
        do {
            let out = try Posix.unnamedTemporaryFile()
            defer { Posix.close(out) }
            let err = try Posix.unnamedTemporaryFile()
            defer { Posix.close(err) }
            let pid = try Posix.spawnCommand(ssh, arguments: arguments(remote) + [remoteCommand], environment: Posix.environment(),
                                             standardOutput: out, standardError: err)
            var exit: Posix.Exit?
            while true {
                exit = try Posix.reap(pid)
                if exit != nil { break }
                do { try await Task.sleep(for: .milliseconds(20)) } catch {
                    Posix.kill(pid)
                    _ = try? Posix.reapBlocking(pid)
                    throw RemoteServiceError("cancelled while talking to \(remote.host)")
                }
            }
            return Outcome(status: exit!, output: try readAll(out), errors: try readAll(err))
        } catch let error as PosixError {
            throw RemoteServiceError("cannot run ssh to \(remote.host): \(error)")
        } catch let error as RemoteServiceError {
            throw error
        } catch {
            throw RemoteServiceError("cannot run ssh to \(remote.host): \(error)")
        }
    }

    /// Everything written to the temporary file `fd`.
    static func readAll(_ fd: Int32) throws(PosixError) -> String {
        var bytes: [UInt8] = []
        var offset: Int64 = 0
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < 1 << 20 {
            let n = try chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(PosixError) -> Int in try Posix.read(fd, into: buffer, at: offset, subject: "ssh's output") }
            }.get()
            if n == 0 { break }
            bytes += chunk[..<n]
            offset += Int64(n)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One line for a failed ssh: which host, what went wrong (from ssh's own words), and what
    /// to do. `errors` is ssh's stderr, untrusted: it is sanitized.
    static func failure(_ remote: RemoteService, errors: String, status: Posix.Exit) -> String {
        let lines = errors.split(whereSeparator: \.isNewline).map { TextSanitizer.sanitize(String($0)) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Warning: Permanently added") }
        let said = lines.last ?? "ssh \(describe(status))"
        let host = TextSanitizer.sanitize(remote.host)
        let check = "try 'ssh \(TextSanitizer.sanitize(remote.destination))\(remote.port.map { " -p \($0)" } ?? "")'"
        if errors.contains("Permission denied") {
            return "\(host) refused the key (\(said)); safegroup never asks for a password: load a key the host accepts into ssh-agent or your ssh config, and \(check)"
        }
        if errors.contains("Host key verification failed") || errors.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            return "cannot attach to \(host): its host key is not known or has changed (\(said)); \(check) once to check and accept it"
        }
        let unreachable = ["Could not resolve hostname", "Connection refused", "No route to host", "timed out",
                           "Network is unreachable", "Connection closed by", "Connection reset"]
        if unreachable.contains(where: errors.contains) {
            return "cannot reach \(host) over ssh: \(said); check the address and that sshd runs there, or \(check)"
        }
        return "ssh to \(host) failed: \(said); \(check)"
    }

    static func describe(_ status: Posix.Exit) -> String {
        switch status {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "was killed by \(Posix.signalName(signal))"
        }
    }
}
