import GroupEvents

/// The services on a remote host: its sockets, listed as `safegroup list` lists local ones.
///
/// One `ssh` run executes a POSIX `sh` script on the remote (nothing of ours need be installed
/// there): it looks where a monitor of that user puts its socket, `$XDG_RUNTIME_DIR/safegroup/`
/// and `/tmp/safegroup-<uid>/` (directories owned by the user and not symbolic links), and says
/// of each `*.sock` whether a process holds its `.lock` (`flock -n`, util-linux); without
/// `flock` on the remote, every socket is taken as live. `SAFEGROUP_SOCKET` is not looked at: a
/// non-interactive ssh session does not have the service's environment; name such a socket
/// in the address instead (`ssh://host/path/to/socket`).
public enum RemoteDirectory {
    /// The script: one line per socket, `live PATH`, `stale PATH` or `unknown PATH`; for an
    /// explicit path (its first argument), only that path, or `none PATH` when it is no socket.
    static let script = #"""
        state() {
          if [ ! -e "$1.lock" ]; then echo "stale $1"
          elif ! command -v flock >/dev/null 2>&1; then echo "unknown $1"
          elif flock -n "$1.lock" true 2>/dev/null; then echo "stale $1"
          else echo "live $1"; fi
        }
        if [ -n "$1" ]; then
          if [ -S "$1" ]; then state "$1"; else echo "none $1"; fi
          exit 0
        fi
        u=$(id -u)
        for d in "${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/safegroup}" "/tmp/safegroup-$u"; do
          [ -n "$d" ] && [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ] || continue
          for s in "$d"/*.sock; do
            [ -S "$s" ] && state "$s"
          done
        done
        exit 0
        """#

    /// The remote's sockets (only `remote.socketPath` when it names one), sorted by path.
    ///
    /// - Throws: ``RemoteServiceError`` when ssh cannot reach the host or log in, or the
    ///   named socket is not there.
    public static func scan(_ remote: RemoteService) async throws(RemoteServiceError) -> [ServiceDirectory.Entry] {
        let command = "sh -c " + shellQuoted(script) + " sh" + (remote.socketPath.map { " " + shellQuoted($0) } ?? "")
        let outcome = try await SSHCommand.run(remote, remoteCommand: command)
        guard outcome.status == .exited(0) else {
            throw RemoteServiceError(SSHCommand.failure(remote, errors: outcome.errors, status: outcome.status))
        }
        let entries = parse(outcome.output)
        if let path = remote.socketPath, entries.isEmpty {
            throw RemoteServiceError("no service on \(TextSanitizer.sanitize(remote.host)): \(TextSanitizer.sanitize(path)) is not a socket there (try 'safegroup list \(TextSanitizer.sanitize(remote.hostAddress))')")
        }
        return entries
    }

    /// Entries from the script's lines; lines it would not print are skipped.
    static func parse(_ output: String) -> [ServiceDirectory.Entry] {
        output.split(whereSeparator: \.isNewline).compactMap { line -> ServiceDirectory.Entry? in
            guard let space = line.firstIndex(of: " ") else { return nil }
            let path = String(line[line.index(after: space)...])
            let state: ServiceDirectory.State
            switch line[..<space] {
            case "live", "unknown": state = .live
            case "stale": state = .stale(reason: "no process holds its lock")
            default: return nil
            }
            guard path.hasPrefix("/") else { return nil }
            let (name, pid) = ServiceDirectory.parseFileName(path)
            return ServiceDirectory.Entry(path: path, nameFromPath: name, pidFromPath: pid, state: state)
        }.sorted { $0.path < $1.path }
    }

    /// `text` in single quotes for a POSIX shell.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
