import Glibc
import SystemCalls

/// Where a service's monitor socket lives.
///
/// In order: an explicit path, else `SAFEGROUP_SOCKET`, else
/// `$XDG_RUNTIME_DIR/safegroup/<service>-<pid>.sock` when `XDG_RUNTIME_DIR` is a real
/// directory owned by the user with mode 0700, else `/tmp/safegroup-<uid>/<service>-<pid>.sock`.
/// The default directories are created with mode 0700 and checked with `lstat`: a symlink,
/// another owner or a wider mode is refused, never followed or "fixed".
public enum SocketPath {
    /// The environment variable that overrides the default path.
    public static let environmentVariable = "SAFEGROUP_SOCKET"

    /// The path a monitor for `service` in this process uses.
    ///
    /// - Parameter environment: looks up an environment variable; the process environment by default.
    public static func resolve(service: String, explicit: String? = nil,
                               environment: (String) -> String? = SocketPath.processEnvironment) throws(MonitorError) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let path = environment(environmentVariable), !path.isEmpty { return path }
        let directory = try defaultDirectory(environment: environment)
        return "\(directory)/\(fileName(service: service, pid: Posix.pid))"
    }

    /// The private directory for this user's sockets, created if needed.
    public static func defaultDirectory(environment: (String) -> String? = SocketPath.processEnvironment) throws(MonitorError) -> String {
        let uid = Posix.uid
        if let runtime = environment("XDG_RUNTIME_DIR"), runtime.hasPrefix("/"),
           let st = try? Posix.lstat(runtime), Posix.isPrivateDirectory(st, uid: uid) {
            let directory = runtime.hasSuffix("/") ? "\(runtime)safegroup" : "\(runtime)/safegroup"
            try ensurePrivateDirectory(directory)
            return directory
        }
        let directory = "/tmp/safegroup-\(uid)"
        try ensurePrivateDirectory(directory)
        return directory
    }

    /// `<service>-<pid>.sock`, with anything but letters, digits, `.`, `_` and `-` in the name replaced by `_`.
    public static func fileName(service: String, pid: Int32) -> String {
        var name = String(service.unicodeScalars.prefix(48).map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": Character(scalar)
            default: "_"
            }
        })
        if name.isEmpty || name.hasPrefix(".") { name = "_" + name }
        return "\(name)-\(pid).sock"
    }

    /// Creates `path` with mode 0700 if it is missing, then checks that it is a real directory
    /// owned by us with mode 0700. `purpose` and `wayOut` go into the refusal's message.
    static func ensurePrivateDirectory(_ path: String, purpose: String = "socket directory",
                                       wayOut: String = "set \(environmentVariable) to a path in a private directory") throws(MonitorError) {
        if try MonitorError.wrap(path, { () throws(PosixError) in try Posix.mkdir(path, mode: 0o700) }) {
            // The umask may have taken bits away; set the mode we mean.
            try MonitorError.wrap(path) { () throws(PosixError) in try Posix.chmod(path, mode: 0o700) }
        }
        guard let st = try MonitorError.wrap(path, { () throws(PosixError) in try Posix.lstat(path) }) else {
            throw MonitorError(.unsafeDirectory, path: path, "\(purpose) \(path) vanished while it was being created")
        }
        let uid = Posix.uid
        let problem: String? =
            if st.st_mode & S_IFMT == S_IFLNK { "it is a symbolic link" }
            else if st.st_mode & S_IFMT != S_IFDIR { "it is not a directory" }
            else if st.st_uid != uid { "it is owned by uid \(st.st_uid), not \(uid)" }
            else if st.st_mode & 0o777 != 0o700 { "its mode is \(String(st.st_mode & 0o777, radix: 8)), not 700" }
            else { nil }
        if let problem {
            throw MonitorError(.unsafeDirectory, path: path,
                "refusing \(purpose) \(path): \(problem) (remove it, or \(wayOut))")
        }
    }

    /// Looks up `name` in the process environment.
    public static func processEnvironment(_ name: String) -> String? { Posix.getenv(name) }
}
