import GroupEvents
import Glibc
import SystemCalls

/// Finds this user's service sockets, live and stale, without changing anything.
///
/// Looks where a monitor puts its socket (``SocketPath``): `$XDG_RUNTIME_DIR/safegroup/` when
/// `XDG_RUNTIME_DIR` is private, `/tmp/safegroup-<uid>/`, and the path in `SAFEGROUP_SOCKET`.
/// A directory that is a symlink, another user's or open to others is not looked into. A
/// socket is live when a process holds its `.lock` (the monitor holds it for its whole life);
/// otherwise it is stale: left by a killed process. Stale sockets are reported, never removed:
/// the next monitor started on that path replaces it.
public enum ServiceDirectory {
    /// The environment variable a monitor's socket path may be set in (a monitor's `SocketPath`
    /// reads the same one): the one socket looked at besides the directories.
    public static let socketVariable = "SAFEGROUP_SOCKET"

    /// Looks up `name` in the process environment.
    public static func processEnvironment(_ name: String) -> String? { Posix.getenv(name) }

    /// A socket found in a directory or named by the environment.
    public struct Entry: Hashable, Sendable {
        /// The socket's path.
        public var path: String
        /// The service name and pid read from a `<service>-<pid>.sock` file name, when it has that form.
        public var nameFromPath: String?
        public var pidFromPath: Int32?
        /// Whether a process serves it.
        public var state: State

        public init(path: String, nameFromPath: String? = nil, pidFromPath: Int32? = nil, state: State) {
            self.path = path; self.nameFromPath = nameFromPath; self.pidFromPath = pidFromPath; self.state = state
        }
    }

    /// Whether a socket is served.
    public enum State: Hashable, Sendable {
        /// A live process holds the socket's lock.
        case live
        /// Nobody holds the lock; the reason says how we know.
        case stale(reason: String)
    }

    /// The directories a monitor of this user would use, in order, without creating any.
    public static func directories(environment: (String) -> String? = ServiceDirectory.processEnvironment) -> [String] {
        var result: [String] = []
        let uid = Posix.uid
        if let runtime = environment("XDG_RUNTIME_DIR"), runtime.hasPrefix("/"),
           let st = try? Posix.lstat(runtime), Posix.isPrivateDirectory(st, uid: uid) {
            result.append(runtime.hasSuffix("/") ? "\(runtime)safegroup" : "\(runtime)/safegroup")
        }
        result.append("/tmp/safegroup-\(uid)")
        return result
    }

    /// The directories of ``directories(environment:)`` that exist but are not looked into,
    /// each with why: `/tmp/safegroup-1000: it is a symbolic link`. For the message that says
    /// no service was found, so that a user learns where they were not looked for.
    public static func refusals(environment: (String) -> String? = ServiceDirectory.processEnvironment) -> [String] {
        let uid = Posix.uid
        return directories(environment: environment).compactMap { directory in
            guard let st = try? Posix.lstat(directory) else { return nil }
            let reason: String
            switch st.st_mode & S_IFMT {
            case S_IFLNK: reason = "it is a symbolic link"
            case S_IFDIR:
                if st.st_uid != uid {
                    reason = "it belongs to uid \(st.st_uid), not \(uid)"
                } else if st.st_mode & 0o777 != 0o700 {
                    reason = "its mode is \(String(st.st_mode & 0o777, radix: 8)), not 700"
                } else {
                    return nil
                }
            default: reason = "it is not a directory"
            }
            return "\(TextSanitizer.sanitize(directory)): \(reason)"
        }
    }

    /// `looked in A, B; refused B: it is a symbolic link`: where sockets were looked for.
    public static func placesLookedIn(environment: (String) -> String? = ServiceDirectory.processEnvironment) -> String {
        let places = directories(environment: environment).map(TextSanitizer.sanitize).joined(separator: ", ")
        let refused = refusals(environment: environment)
        return "looked in \(places)" + (refused.isEmpty ? "" : "; refused " + refused.joined(separator: "; "))
    }

    /// Every socket in ``directories(environment:)`` and at `SAFEGROUP_SOCKET`, sorted by path.
    public static func scan(environment: (String) -> String? = ServiceDirectory.processEnvironment) -> [Entry] {
        var paths: Set<String> = []
        let uid = Posix.uid
        for directory in directories(environment: environment) {
            // Only a directory that is ours alone: anything else may hold sockets planted by others.
            guard let st = try? Posix.lstat(directory), Posix.isPrivateDirectory(st, uid: uid),
                  let names = try? Posix.directoryEntries(directory) else { continue }
            for name in names where name.hasSuffix(".sock") {
                paths.insert("\(directory)/\(name)")
            }
        }
        if let path = environment(socketVariable), !path.isEmpty {
            paths.insert(path)
        }
        return paths.sorted().compactMap(entry)
    }

    /// What is at `path`: nil when it is not a socket (or nothing is there).
    public static func entry(_ path: String) -> Entry? {
        guard let st = try? Posix.lstat(path), st.st_mode & S_IFMT == S_IFSOCK else { return nil }
        let (name, pid) = parseFileName(path)
        return Entry(path: path, nameFromPath: name, pidFromPath: pid, state: state(of: path, pid: pid))
    }

    /// Live when a process holds `<path>.lock`; stale otherwise.
    static func state(of path: String, pid: Int32?) -> State {
        switch try? Posix.isLockHeld(path + ".lock") {
        case true?:
            return .live
        case false?:
            if let pid, !Posix.isProcessAlive(pid) { return .stale(reason: "process \(pid) is gone") }
            return .stale(reason: "no process holds its lock")
        case nil:
            return .stale(reason: "it has no lock file")
        }
    }

    /// `checkout` and 4242 from `…/checkout-4242.sock`.
    static func parseFileName(_ path: String) -> (name: String?, pid: Int32?) {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        guard file.hasSuffix(".sock") else { return (nil, nil) }
        let stem = file.dropLast(5)
        guard let dash = stem.lastIndex(of: "-"), let pid = Int32(stem[stem.index(after: dash)...]), pid > 0 else {
            return (nil, nil)
        }
        return (String(stem[..<dash]), pid)
    }
}
