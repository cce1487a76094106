import ArgumentParser
import GroupEvents
import Glibc
import SystemCalls

/// `safegroup snapshot SOCKET [-o OUT]`: asks a running service for a copy of its black box.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Have a running service write its black box (its most recent events) to a recording, without stopping it.",
        discussion: """
            The service writes the recording beside its black box (in $XDG_STATE_HOME/safegroup/ \
            or ~/.local/state/safegroup/) and says where; with -o, it is moved to OUT (on the same \
            filesystem) or copied there. The service must have its black box on \
            (SAFEGROUP_BLACKBOX=on or MonitorConfiguration.blackBoxBytes). A service writes at most \
            one snapshot a second; when busy, the command asks again. With -o, only a snapshot \
            file of this user beside the service's box is moved; anything else the service names \
            is refused, untouched.
            """
    )

    @Argument(help: "The service's socket (see 'safegroup list').", completion: LiveSocketCompletion.kind)
    var socket: String

    @Option(name: .shortAndLong, help: "Where to put the recording.")
    var output: String?

    /// The request line, as the monitor expects it.
    static let request = Array(#"{"request":"blackbox-snapshot"}"#.utf8) + [10]
    /// How long to wait for the service's answer.
    static let timeoutMilliseconds: Int32 = 10_000

    func run() async throws {
        try await runReportingFailures {
            let shown = TextSanitizer.sanitize(socket)
            var reply = try Self.ask(socket, shown: shown)
            // A snapshot was written less than a second ago and moved away: the service writes
            // at most one a second.
            for _ in 0..<Self.busyRetries where reply["snapshotFailed"]?.hasPrefix(Self.busyPrefix) == true {
                Posix.sleep(milliseconds: 1100)
                reply = try Self.ask(socket, shown: shown)
            }
            if let failure = reply["snapshotFailed"] {
                throw CommandFailure("\(shown): \(TextSanitizer.sanitize(failure))")
            }
            guard let written = reply["snapshot"] else {
                throw CommandFailure("\(shown) answered the snapshot request with nothing this safegroup understands")
            }
            var path = written
            if let output {
                if let problem = Self.problem(withSnapshot: written, uid: Posix.uid) {
                    throw CommandFailure("\(shown) named \(TextSanitizer.sanitize(written)) as its snapshot, but \(problem); nothing was moved (copy it by hand if it is yours)")
                }
                path = try Self.move(written, to: output)
            }
            var out = OutputStream.standardOutput
            try out.appendLine(TextSanitizer.sanitize(path))
            try out.flush()
        }
    }

    /// How the service's answer starts when it wrote a snapshot less than a second ago, and
    /// how many times the command asks again, a second apart.
    static let busyPrefix = "busy:", busyRetries = 3

    /// Connects to the service (of this user only), asks for a snapshot, and returns the
    /// reply's string members.
    static func ask(_ socket: String, shown: String) throws -> [String: String] {
        let fd: Int32
        switch Result(catching: { () throws(PosixError) -> Int32 in try Posix.connectedSocket(path: socket) }) {
        case .success(let connected): fd = connected
        case .failure(let error):
            throw CommandFailure("cannot connect to \(shown): \(error.reason) (is the service running? try 'safegroup list')")
        }
        defer { Posix.close(fd) }
        // The reply names a file this command may move or remove: only a service of this
        // user is believed.
        guard let peer = try? Posix.peerCredentials(fd), peer.uid == Posix.uid else {
            let who = (try? Posix.peerCredentials(fd)).map { "uid \($0.uid)" } ?? "a process whose uid cannot be read"
            throw CommandFailure("\(shown) is served by \(who), not by you (uid \(Posix.uid)); run 'safegroup snapshot' as the service's user")
        }
        _ = try request.withUnsafeBytes { raw in Result { () throws(PosixError) -> Int? in try Posix.send(fd, raw) } }.get()
        return try awaitReply(fd, socket: shown)
    }

    /// Reads the stream (header, snapshot, live lines) until the reply line; its string members.
    static func awaitReply(_ fd: Int32, socket shown: String) throws -> [String: String] {
        var line: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let deadline = Posix.monotonicNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while Posix.monotonicNanoseconds() < deadline {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            _ = try Posix.poll(&fds, timeoutMilliseconds: 200)
            let count = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(PosixError) -> Int? in try Posix.receive(fd, into: raw, path: shown) }
            }.get()
            guard let count else { continue }
            if count == 0 { throw CommandFailure("\(shown) closed the connection before answering the snapshot request") }
            for byte in buffer[..<count] {
                if byte != 10 {
                    // Lines of the stream can be long; only the start of a line matters here.
                    if line.count < 8192 { line.append(byte) }
                    continue
                }
                if line.starts(with: Array(#"{"snapshot"#.utf8)), let members = JSONString.stringMembers(of: line) { return members }
                line.removeAll(keepingCapacity: true)
            }
        }
        throw CommandFailure("\(shown) did not answer the snapshot request within \(timeoutMilliseconds / 1000) s (a service older than this safegroup ignores it)")
    }

    /// Why `path`, as a service named it, is not a snapshot this command may move or remove;
    /// nil when it is one: an absolute path to a regular file (not a link) of `uid`, with one
    /// link, named `<box>-snapshot-<ms>[-n].ndjson`, in a private directory (0700, of `uid`)
    /// that holds `<box>.blackbox` (a regular file of `uid`).
    static func problem(withSnapshot path: String, uid: uid_t) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix("/"), parts.count >= 3, !parts.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
              let name = parts.last else {
            return "that is not a plain absolute path"
        }
        guard let box = BlackBoxPlace.boxStem(ofSnapshot: name) else { return "its name is not <box>-snapshot-<ms>.ndjson" }
        let directory = parts.dropLast().joined(separator: "/")
        guard let dir = try? Posix.lstat(directory), Posix.isPrivateDirectory(dir, uid: uid) else {
            return "its directory is not a private directory of yours"
        }
        guard let boxStat = try? Posix.lstat("\(directory)/\(box)\(BlackBoxImage.fileExtension)"),
              boxStat.st_mode & S_IFMT == S_IFREG, boxStat.st_uid == uid else {
            return "no black box of yours lies beside it"
        }
        guard let st = try? Posix.lstat(path) else { return "it does not exist" }
        guard st.st_mode & S_IFMT == S_IFREG else { return "it is not a regular file" }
        guard st.st_uid == uid else { return "it is owned by uid \(st.st_uid)" }
        guard st.st_nlink == 1 else { return "it has \(st.st_nlink) links" }
        return nil
    }

    /// Moves (renames) `from` to `to`, or copies and removes it across filesystems; returns `to`.
    static func move(_ from: String, to: String) throws -> String {
        let renamed = Result { () throws(PosixError) in try Posix.rename(from, to: to) }
        if case .failure(let error) = renamed, error.errno == EXDEV {
            let fd = try Posix.openForReading(from)
            defer { Posix.close(fd) }
            let target = try Posix.createForWriting(to)
            defer { Posix.close(target) }
            var buffer = [UInt8](repeating: 0, count: 256 << 10)
            while true {
                let n = try buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(PosixError) -> Int in try Posix.read(fd, into: raw, subject: from) }
                }.get()
                if n == 0 { break }
                try buffer[..<n].withUnsafeBytes { raw in Result { () throws(PosixError) in try Posix.writeAll(target, raw, subject: to) } }.get()
            }
            try? Posix.unlink(from)
            return to
        }
        try renamed.get()
        return to
    }
}
