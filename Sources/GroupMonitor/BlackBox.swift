import CSafeGroupSystem
import GroupEvents
import Glibc
import SystemCalls

/// The flight recorder: the monitor's most recent wire lines, in a ring that lives in a
/// memory-mapped file (`MAP_SHARED`), so that the kernel keeps them when the process dies.
///
/// The monitor thread copies each chunk of lines it has encoded for viewers into the ring as
/// well (one `memcpy`, no system call); the last gasp (``CrashHandler``) appends its
/// `process.crashed` event and marks the box crashed. A clean shutdown removes the file, and so
/// does a normal exit without one (`atexit`); a box left behind is the evidence of a process
/// that died. The file layout is ``BlackBoxImage``'s.
///
/// One box per monitor, `<service>-<pid>-<start>.blackbox` in the user's private state
/// directory (``BlackBoxPlace``), mode 0600, locked (`flock`) for the process's life, so a
/// reader tells a live box from a dead one. When a box is opened, old dead boxes beyond the
/// newest ``retainedCount`` or ``retainedBytes`` are deleted.
final class BlackBox {
    /// `SAFEGROUP_BLACKBOX`: `off`, `on`, a size (`8M`, `512K`, bytes) or a directory (`/…`).
    static let environmentVariable = "SAFEGROUP_BLACKBOX"
    /// `SAFEGROUP_BLACKBOX_SIGUSR1=1`: a snapshot on `SIGUSR1` (``MonitorConfiguration/blackBoxSnapshotOnSIGUSR1``).
    static let signalVariable = "SAFEGROUP_BLACKBOX_SIGUSR1"
    /// `SAFEGROUP_BLACKBOX_AGE`: the age bound (`60s`, `5m`, `1h`, seconds, or `off`); it
    /// overrides ``MonitorConfiguration/blackBoxMaxAge``.
    static let ageVariable = "SAFEGROUP_BLACKBOX_AGE"
    /// The ring's size by default: 8 MiB, about 40,000 events of a fan-out.
    static let defaultBytes = 8 << 20
    /// The smallest and largest rings.
    static let minimumBytes = 64 << 10, maximumBytes = 1 << 30
    /// Dead boxes kept when a new one is opened: the newest 8, 128 MiB at most.
    static let retainedCount = 8, retainedBytes = 128 << 20

    /// Where and how large, from a configuration and the environment.
    struct Settings: Equatable {
        var bytes: Int
        var directory: String?
        /// The age bound written into the box's header (readers keep only what is at most this
        /// old before the newest line); 0, none.
        var maxAgeNanoseconds: UInt64 = 60_000_000_000

        /// `60s`, `5m`, `1h`, `90` (seconds), `off`/`0` (no bound); nil for anything else.
        static func parseAge(_ text: String) -> UInt64? {
            let value = text.trimmingSpaces.lowercased()
            if value == "off" || value == "0" { return 0 }
            var digits = Substring(value)
            var scale: UInt64 = 1_000_000_000
            switch digits.last {
            case "s": digits = digits.dropLast()
            case "m": digits = digits.dropLast(); scale = 60_000_000_000
            case "h": digits = digits.dropLast(); scale = 3_600_000_000_000
            default: break
            }
            // At most a day: a bound longer than that is no bound a ring of this size can keep.
            guard let count = UInt64(digits), count <= 86_400_000_000_000 / scale else { return nil }
            return count * scale
        }

        /// `SAFEGROUP_BLACKBOX` overrides the configuration: `off` (or `0`) turns the box off,
        /// `on` (or `1`) on at its configured size (8 MiB when that is 0), a size sets the size,
        /// an absolute path the directory. Nil when it is off; a message for a value it cannot read.
        static func resolve(bytes: Int, directory: String?, environment: String?) -> Result<Settings?, BlackBoxFailure> {
            var settings = Settings(bytes: bytes, directory: directory)
            if let value = environment?.trimmingSpaces, !value.isEmpty {
                switch value.lowercased() {
                case "off", "0", "no", "false": return .success(nil)
                case "on", "1", "yes", "true": if settings.bytes <= 0 { settings.bytes = defaultBytes }
                default:
                    if value.hasPrefix("/") {
                        settings.directory = value
                        if settings.bytes <= 0 { settings.bytes = defaultBytes }
                    } else if let size = parseSize(value) {
                        settings.bytes = size
                    } else {
                        return .failure(BlackBoxFailure("\(environmentVariable)=\(value) is not off, on, a size (8M, 512K) or an absolute directory; the service goes on without a black box"))
                    }
                }
            }
            guard settings.bytes > 0 else { return .success(nil) }
            guard settings.bytes >= minimumBytes, settings.bytes <= maximumBytes else {
                return .failure(BlackBoxFailure("a black box of \(settings.bytes) bytes is outside 64K…1G; the service goes on without one"))
            }
            // Whole pages.
            settings.bytes = (settings.bytes + 4095) & ~4095
            return .success(settings)
        }

        /// `8M`, `8MiB`, `512k`, `1G`, `65536`.
        static func parseSize(_ text: String) -> Int? {
            var digits = Substring(text.lowercased())
            for suffix in ["ib", "b"] where digits.hasSuffix(suffix) { digits = digits.dropLast(suffix.count); break }
            var scale = 1
            switch digits.last {
            case "k": scale = 1 << 10
            case "m": scale = 1 << 20
            case "g": scale = 1 << 30
            default: break
            }
            if scale > 1 { digits = digits.dropLast() }
            guard let value = Int(digits), value > 0, value <= Int(Int32.max) else { return nil }
            return value * scale
        }
    }

    /// The file's path.
    let path: String
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private var ring: csystem_ring
    /// The slot of the exit-time removal (a process that exits without shutting down).
    private let exitSlot: Int32?
    /// The age bound in the header, which a snapshot keeps to as a reader does.
    private let maxAgeNanoseconds: UInt64

    private init(path: String, fd: Int32, base: UnsafeMutableRawPointer, length: Int, capacity: Int, maxAgeNanoseconds: UInt64) {
        self.path = path
        self.maxAgeNanoseconds = maxAgeNanoseconds
        self.exitSlot = Posix.unlinkAtExit(path)
        self.fd = fd
        self.base = base
        self.length = length
        let header = base
        ring = csystem_ring(
            data: (base + BlackBoxImage.headerBytes).assumingMemoryBound(to: UInt8.self),
            capacity: UInt64(capacity),
            head: (header + BlackBoxImage.Offset.head).assumingMemoryBound(to: UInt64.self),
            writing: (header + BlackBoxImage.Offset.writing).assumingMemoryBound(to: UInt64.self),
            state: (header + BlackBoxImage.Offset.state).assumingMemoryBound(to: UInt32.self),
            signal: (header + BlackBoxImage.Offset.signal).assumingMemoryBound(to: Int32.self))
    }

    /// Opens a new box for this process in `settings.directory` (else the state directory),
    /// after deleting old dead ones beyond the retention limits.
    ///
    /// - Parameters:
    ///   - stem: the socket's file name without `.sock`: `<service>-<pid>`.
    ///   - headerLine: the stream's header line, kept in the file's header.
    /// - Throws: a ``BlackBoxFailure`` whose message names the directory or file and the cause.
    static func open(_ settings: Settings, stem: String, headerLine: [UInt8],
                     environment: (String) -> String? = SocketPath.processEnvironment) throws(BlackBoxFailure) -> BlackBox {
        guard headerLine.count <= BlackBoxImage.headerLineLimit else {
            throw BlackBoxFailure("the stream's header line takes \(headerLine.count) bytes, more than a black box keeps (\(BlackBoxImage.headerLineLimit)); the service goes on without one")
        }
        let directory = try prepareDirectory(settings.directory, environment: environment)
        rotate(directory)

        let started = Int64(Posix.wallClockNanoseconds())
        var name = BlackBoxPlace.fileName(socketStem: stem, startedUnixSeconds: started / 1_000_000_000)
        // A second monitor of the same service in this process, in the same second: a name of its own.
        var suffix = 1
        while (try? Posix.lstat("\(directory)/\(name)")) != nil || (try? Posix.lstat("\(directory)/.\(name).new")) != nil {
            suffix += 1
            name = BlackBoxPlace.fileName(socketStem: "\(stem)-\(suffix)", startedUnixSeconds: started / 1_000_000_000)
        }
        var path = "\(directory)/\(name)"
        // Made under a name no reader looks at, locked, filled in, then renamed into place:
        // a box that `list` sees is whole and, while its process lives, locked.
        let temporary = "\(directory)/.\(name).new"
        let length = BlackBoxImage.headerBytes + settings.bytes
        var fd: Int32 = -1
        var mapped: UnsafeMutableRawPointer?
        do throws(PosixError) {
            fd = try Posix.open(temporary, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
            try Posix.fchmod(fd, mode: 0o600, subject: temporary)
            _ = try Posix.tryLockExclusive(fd, path: temporary)
            try Posix.allocate(fd, length: length, subject: temporary)
            let base = try Posix.mapShared(fd, length: length, subject: temporary)
            mapped = base
            writeHeader(base, capacity: settings.bytes, started: started, headerLine: headerLine,
                        maxAgeNanoseconds: settings.maxAgeNanoseconds)
            // Never over a box another monitor renamed into place meanwhile: the next name.
            while true {
                do {
                    try Posix.renameNoReplace(temporary, to: path)
                    break
                } catch where error.errno == EEXIST && suffix < 1000 {
                    suffix += 1
                    path = "\(directory)/\(BlackBoxPlace.fileName(socketStem: "\(stem)-\(suffix)", startedUnixSeconds: started / 1_000_000_000))"
                }
            }
            return BlackBox(path: path, fd: fd, base: base, length: length, capacity: settings.bytes,
                            maxAgeNanoseconds: settings.maxAgeNanoseconds)
        } catch {
            if let mapped { Posix.unmap(mapped, length: length) }
            if fd >= 0 {
                try? Posix.unlink(temporary)
                Posix.close(fd)
            }
            throw BlackBoxFailure("no black box: cannot create \(path) (\(length >> 10) KiB): \(error.call): \(error.reason); the service goes on without one")
        }
    }

    /// The directory, created 0700 if missing (the state directory's parents too), and checked
    /// to be ours alone.
    private static func prepareDirectory(_ explicit: String?, environment: (String) -> String?) throws(BlackBoxFailure) -> String {
        let directory: String
        if let explicit, !explicit.isEmpty {
            directory = explicit.count > 1 && explicit.hasSuffix("/") ? String(explicit.dropLast()) : explicit
        } else {
            guard let place = BlackBoxPlace.directory(environment: environment) else {
                throw BlackBoxFailure("no black box: neither XDG_STATE_HOME nor HOME is set (set \(environmentVariable) to a directory); the service goes on without one")
            }
            directory = place
            // ~/.local/state may not exist yet: its missing parts are made 0700, as XDG asks.
            var parent = ""
            for part in place.split(separator: "/").dropLast() {
                parent += "/" + part
                _ = try? Posix.mkdir(parent, mode: 0o700)
            }
        }
        do {
            try SocketPath.ensurePrivateDirectory(directory, purpose: "black box directory",
                                                  wayOut: "set \(environmentVariable) to a private directory")
        } catch {
            throw BlackBoxFailure("no black box: \(error.message); the service goes on without one")
        }
        return directory
    }

    private static func writeHeader(_ base: UnsafeMutableRawPointer, capacity: Int, started: Int64, headerLine: [UInt8],
                                    maxAgeNanoseconds: UInt64) {
        typealias O = BlackBoxImage.Offset
        base.copyMemory(from: BlackBoxImage.magic, byteCount: BlackBoxImage.magic.count)
        base.storeBytes(of: BlackBoxImage.layoutVersion.littleEndian, toByteOffset: O.version, as: UInt32.self)
        base.storeBytes(of: UInt32(BlackBoxImage.headerBytes).littleEndian, toByteOffset: O.headerBytes, as: UInt32.self)
        base.storeBytes(of: UInt64(capacity).littleEndian, toByteOffset: O.capacity, as: UInt64.self)
        base.storeBytes(of: 0, toByteOffset: O.head, as: UInt64.self)
        base.storeBytes(of: 0, toByteOffset: O.writing, as: UInt64.self)
        base.storeBytes(of: BlackBoxImage.State.running.rawValue.littleEndian, toByteOffset: O.state, as: UInt32.self)
        base.storeBytes(of: 0, toByteOffset: O.signal, as: Int32.self)
        base.storeBytes(of: Posix.pid.littleEndian, toByteOffset: O.pid, as: Int32.self)
        base.storeBytes(of: UInt32(headerLine.count).littleEndian, toByteOffset: O.headerLineLength, as: UInt32.self)
        base.storeBytes(of: started.littleEndian, toByteOffset: O.started, as: Int64.self)
        (base + BlackBoxImage.headerLineOffset).copyMemory(from: headerLine, byteCount: headerLine.count)
        base.storeBytes(of: maxAgeNanoseconds.littleEndian, toByteOffset: O.maxAge, as: UInt64.self)
    }

    /// Deletes dead boxes and snapshots in `directory` beyond the newest ``retainedCount``
    /// and ``retainedBytes`` (the new box is the eighth): the newest dead box is kept whatever
    /// its size, and so is the newest file of all (a snapshot just written); the others,
    /// newest first, while both budgets allow; everything after the first that does not fit
    /// goes. A box whose lock a process holds is alive, and
    /// never touched.
    static func rotate(_ directory: String) {
        guard let names = try? Posix.directoryEntries(directory) else { return }
        var files: [(path: String, modified: timespec, size: Int, isBox: Bool)] = []
        for name in names where !name.hasPrefix(".") {
            let isBox = name.hasSuffix(BlackBoxImage.fileExtension)
            guard isBox || BlackBoxPlace.boxStem(ofSnapshot: Substring(name)) != nil else { continue }
            let path = "\(directory)/\(name)"
            guard let st = try? Posix.lstat(path), st.st_mode & S_IFMT == S_IFREG,
                  !isBox || (try? Posix.isLockHeld(path)) == false else { continue }
            files.append((path, st.st_mtim, Int(st.st_size), isBox))
        }
        files.sort { ($0.modified.tv_sec, $0.modified.tv_nsec, $0.path) > ($1.modified.tv_sec, $1.modified.tv_nsec, $1.path) }
        // The newest dead box is counted first: it stays, and takes its room in the budgets.
        let newestBox = files.firstIndex { $0.isBox }
        var kept = 0, bytes = 0, full = false
        if let newestBox {
            kept = 1
            bytes = files[newestBox].size
        }
        for (index, file) in files.enumerated() where index != newestBox {
            let fits = !full && kept < retainedCount - 1 && bytes + file.size <= retainedBytes
            if index == 0 || fits {
                kept += 1
                bytes += file.size
            } else {
                full = true
                try? Posix.unlink(file.path)
            }
        }
    }

    /// Appends whole lines. Monitor thread only.
    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        _ = csystem_ring_append(&ring, start, bytes.count)
    }

    /// The ring's description for the crash handler.
    func withRing<T>(_ body: (UnsafePointer<csystem_ring>) -> T) -> T { body(&ring) }

    /// The box as it stands, as an ordinary recording: the header line, then its lines.
    /// Monitor thread only (nothing writes meanwhile).
    func recording() -> [UInt8] {
        var bytes = headerLine().map { Array($0) } ?? []
        if bytes.last != 10 { bytes.append(10) }
        for span in lineSpans() { bytes += span }
        return bytes
    }

    /// The header line kept in the mapping (its newline may be missing); nil when the header
    /// says a length it cannot have.
    private func headerLine() -> UnsafeRawBufferPointer? {
        let count = Int(UInt32(littleEndian: base.load(fromByteOffset: BlackBoxImage.Offset.headerLineLength, as: UInt32.self)))
        guard count > 0, count <= BlackBoxImage.headerLineLimit else { return nil }
        return UnsafeRawBufferPointer(start: base + BlackBoxImage.headerLineOffset, count: count)
    }

    /// The ring's whole lines, oldest first, as at most two spans of the mapping itself.
    private func lineSpans() -> [UnsafeRawBufferPointer] {
        let data = UnsafeRawBufferPointer(start: base + BlackBoxImage.headerBytes, count: Int(ring.capacity))
        let ranges = BlackBoxImage.lineRanges(ring: data, head: UInt64(littleEndian: ring.head.pointee),
                                              writing: UInt64(littleEndian: ring.writing.pointee),
                                              maxAgeNanoseconds: maxAgeNanoseconds)
        return ranges.map { UnsafeRawBufferPointer(rebasing: data[$0]) }
    }

    /// The line a viewer sends to ask for a snapshot (`safegroup snapshot`), without its newline.
    static let snapshotRequest = Array(#"{"request":"blackbox-snapshot"}"#.utf8)
    /// Snapshots are written at most once in this many nanoseconds.
    static let snapshotIntervalNanoseconds: UInt64 = 1_000_000_000
    /// The last snapshot written: when (monotonic ns) and where.
    private var lastSnapshot: (at: UInt64, path: String)?

    /// A snapshot, or why there is none this time.
    enum SnapshotAnswer: Equatable {
        /// The snapshot's path (maybe one written less than a second ago, still in place).
        case written(String)
        /// A snapshot was written less than a second ago and moved away since: try again later.
        case busy
    }

    /// Writes the box as it stands to a new recording next to it,
    /// `<box name>-snapshot-<ms since the epoch>.ndjson` (mode 0600), straight from the
    /// mapping (the header line and the ring's spans, no copy); then rotates the directory,
    /// snapshots counted with the dead boxes. At most one a second: a request within a second
    /// of the last snapshot gets that snapshot when it is still where it was written, else
    /// ``SnapshotAnswer/busy``. Monitor thread only.
    func writeSnapshot(now: UInt64 = Posix.monotonicNanoseconds()) throws(PosixError) -> SnapshotAnswer {
        if let last = lastSnapshot, now &- last.at < Self.snapshotIntervalNanoseconds {
            let st = try? Posix.lstat(last.path)
            return st.map { $0.st_mode & S_IFMT == S_IFREG } == true ? .written(last.path) : .busy
        }
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        let directory = String(path[..<slash])
        let name = path[path.index(after: slash)...]
        let stem = String(name.hasSuffix(BlackBoxImage.fileExtension) ? name.dropLast(BlackBoxImage.fileExtension.count) : name)
        let milliseconds = Posix.wallClockNanoseconds() / 1_000_000
        var target = ""
        var fd: Int32 = -1
        for attempt in 0..<100 {
            target = "\(directory)/\(BlackBoxPlace.snapshotName(boxStem: stem, unixMilliseconds: milliseconds, attempt: attempt))"
            do {
                fd = try Posix.open(target, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
                break
            } catch where error.errno == EEXIST && attempt < 99 {
                continue
            }
        }
        defer { Posix.close(fd) }
        do {
            if let line = headerLine() {
                try Posix.writeAll(fd, line, subject: target)
                if line.last != 10 { try [UInt8(10)].withUnsafeBytes { raw in Result { () throws(PosixError) in try Posix.writeAll(fd, raw, subject: target) } }.get() }
            }
            for span in lineSpans() { try Posix.writeAll(fd, span, subject: target) }
        } catch {
            try? Posix.unlink(target)
            throw error
        }
        lastSnapshot = (now, target)
        Self.rotate(directory)
        return .written(target)
    }

    /// The line answering a snapshot request: `{"snapshot":"<path>"}` or `{"snapshotFailed":"<why>"}`.
    static func snapshotReply(path: String?, failure: String?) -> [UInt8] {
        let (key, value) = path.map { ("snapshot", $0) } ?? ("snapshotFailed", failure ?? "unknown")
        return Array("{\"\(key)\":".utf8) + JSONString.quoted(value) + Array("}\n".utf8)
    }

    /// Removes the file: a clean shutdown leaves no box behind. The crash handler must have let
    /// go of the ring first.
    func remove() {
        if let exitSlot { Posix.cancelUnlinkAtExit(slot: exitSlot) }
        try? Posix.unlink(path)
        Posix.unmap(base, length: length)
        Posix.close(fd)
    }
}

/// Why the black box is off: the one message the reporter gets.
struct BlackBoxFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = "safegroup: " + description }
}

private extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
