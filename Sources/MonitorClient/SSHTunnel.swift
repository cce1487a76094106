import GroupEvents
import Glibc
import Synchronization
import SystemCalls

/// A remote service's socket forwarded to a local one by the user's own `ssh -N -L`: a Unix
/// socket to a Unix socket, never a TCP port.
///
/// ``localPath`` is in a private directory of its own (mode 0700, outside the directories
/// `safegroup list` scans). Connect to it as to a local service: `ssh` opens a channel to the
/// remote socket for each connection, so when the remote service restarts on the same path,
/// a reconnect reaches the new process. When `ssh` itself ends (the network dropped), the
/// tunnel starts it again, at most once a second, until ``close()``; meanwhile connections
/// fail and the client retries as for a local socket.
///
/// ssh never outlives this process, even one killed by a signal: it runs `cat >/dev/null` on
/// the remote with its stdin a pipe from here (not `-N`), and when the pipe's last writer goes,
/// the remote command sees the end of its input and exits, and so does ssh.
public final class SSHTunnel: Sendable {
    /// The local end: connect here.
    public let localPath: String
    /// The remote service it forwards to.
    public let remote: RemoteService
    private let directory: String
    private let ssh: String
    private let arguments: [String]

    private struct State {
        var pid: pid_t?
        /// The write end of ssh's stdin; closing it ends ssh.
        var lifeline: Int32?
        var closed = false
        var restarts = 0
    }
    private let state = Mutex(State())

    private static let counter = Atomic<Int>(0)

    /// Starts `ssh` and waits until the forward is up (the local socket exists), for at most
    /// `limit`.
    ///
    /// - Throws: ``RemoteServiceError`` with ssh's reason, in one line, when it cannot reach
    ///   the host, log in, or forward the socket.
    public static func open(_ remote: RemoteService, within limit: Duration = .seconds(20)) async throws(RemoteServiceError) -> SSHTunnel {
        guard let socket = remote.socketPath else {
            throw RemoteServiceError("\(remote) names no socket: choose one with 'safegroup list \(remote)'")
        }
        let ssh = try SSHCommand.executable()
        let directory = try makePrivateDirectory()
        let local = directory + "/remote.sock"
        let arguments = SSHCommand.arguments(remote, options: [
            "-T", "-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes", "-o", "StreamLocalBindMask=0177",
            "-o", "ClearAllForwardings=no", "-L", "\(local):\(socket)",
        ])
        let tunnel = SSHTunnel(localPath: local, remote: remote, directory: directory, ssh: ssh, arguments: arguments + ["cat >/dev/null"])
        do {
            try await tunnel.start(within: limit)
        } catch {
            tunnel.close()
            throw error
        }
        tunnel.watch()
        return tunnel
    }

    private init(localPath: String, remote: RemoteService, directory: String, ssh: String, arguments: [String]) {
        self.localPath = localPath
        self.remote = remote
        self.directory = directory
        self.ssh = ssh
        self.arguments = arguments
    }

    /// A new directory of mode 0700 for the local socket: `/tmp/safegroup-ssh-<uid>-<pid>-<n>`.
    /// Those of this user whose process is gone (it was killed before it could remove its own)
    /// are removed first.
    private static func makePrivateDirectory() throws(RemoteServiceError) -> String {
        let base = (Posix.getenv("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        removeAbandoned(in: base)
        for _ in 0..<100 {
            let path = "\(base)/safegroup-ssh-\(Posix.uid)-\(Posix.pid)-\(counter.add(1, ordering: .relaxed).newValue)"
            do {
                if try Posix.mkdir(path, mode: 0o700) { return path }
            } catch {
                throw RemoteServiceError("cannot make a private directory for the ssh forward: \(error)")
            }
        }
        throw RemoteServiceError("cannot make a private directory for the ssh forward in \(base)")
    }

    /// Removes `safegroup-ssh-<uid>-<pid>-<n>` directories of this user whose process is gone:
    /// only a directory (not a link) owned by this user, and only its `remote.sock`.
    private static func removeAbandoned(in base: String) {
        let prefix = "safegroup-ssh-\(Posix.uid)-"
        guard let names = try? Posix.directoryEntries(base) else { return }
        for name in names where name.hasPrefix(prefix) {
            let fields = name.dropFirst(prefix.count).split(separator: "-")
            guard fields.count == 2, let pid = Int32(fields[0]), pid != Posix.pid, !Posix.isProcessAlive(pid) else { continue }
            let directory = "\(base)/\(name)"
            guard let st = try? Posix.lstat(directory), st.st_mode & S_IFMT == S_IFDIR, st.st_uid == Posix.uid else { continue }
            try? Posix.unlink(directory + "/remote.sock")
            Posix.rmdir(directory)
        }
    }

    /// Spawns ssh and waits until the local socket exists or ssh ends.
    private func start(within limit: Duration) async throws(RemoteServiceError) {
        try? Posix.unlink(localPath)
        let errors: Int32
        let pid: pid_t
        let lifeline: (read: Int32, write: Int32)
        do {
            errors = try Posix.unnamedTemporaryFile()
            lifeline = try Posix.pipe()
            defer { Posix.close(lifeline.read) }
            pid = try Posix.spawnCommand(ssh, arguments: arguments, environment: Posix.environment(), standardInput: lifeline.read,
                                         standardOutput: errors, standardError: errors)
        } catch {
            throw RemoteServiceError("cannot run ssh to \(remote.host): \(error)")
        }
        defer { Posix.close(errors) }
        let closed = state.withLock { state in
            if state.closed { return true }
            state.pid = pid
            if let old = state.lifeline { Posix.close(old) }
            state.lifeline = lifeline.write
            return false
        }
        if closed {
            Posix.close(lifeline.write)
            Posix.kill(pid)
            _ = try? Posix.reapBlocking(pid)
            throw RemoteServiceError("the ssh forward to \(remote.host) was closed")
        }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let st = try? Posix.lstat(localPath), st.st_mode & S_IFMT == S_IFSOCK { return }
            if let exit = try? Posix.hasEnded(pid), exit {
                let status = (try? Posix.reap(pid)) ?? nil
                state.withLock { $0.pid = nil }
                let said = (try? SSHCommand.readAll(errors)) ?? ""
                throw RemoteServiceError(SSHCommand.failure(remote, errors: said, status: status ?? .exited(255)))
            }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
        }
        throw RemoteServiceError("the ssh forward to \(remote.host) was not up within \(limit): ssh neither forwarded \(TextSanitizer.sanitize(remote.socketPath ?? "")) nor ended")
    }

    /// Restarts ssh when it ends, at most once a second, until the tunnel is closed.
    private func watch() {
        Task.detached { [self] in
            while true {
                do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
                let (pid, closed) = state.withLock { ($0.pid, $0.closed) }
                if closed { return }
                guard let pid, let ended = try? Posix.hasEnded(pid), ended else { continue }
                _ = try? Posix.reap(pid)
                state.withLock { $0.pid = nil }
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
                state.withLock { $0.restarts += 1 }
                try? await start(within: .seconds(20))
            }
        }
    }

    /// How many times ssh was started again after it ended.
    public var restarts: Int { state.withLock { $0.restarts } }

    /// The pid of the running ssh, if one runs.
    public var sshPID: Int32? { state.withLock { $0.pid } }

    /// Ends ssh and removes the local socket and its directory.
    public func close() {
        let pid = state.withLock { state -> pid_t? in
            state.closed = true
            if let lifeline = state.lifeline { Posix.close(lifeline) }
            state.lifeline = nil
            defer { state.pid = nil }
            return state.pid
        }
        if let pid {
            Posix.kill(pid)
            _ = try? Posix.reapBlocking(pid)
        }
        try? Posix.unlink(localPath)
        Posix.rmdir(directory)
    }

    deinit { close() }
}
