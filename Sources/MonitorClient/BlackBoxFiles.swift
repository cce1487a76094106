import GroupEvents
import Glibc
import SystemCalls

/// Finds and reads black boxes (``BlackBoxImage``): the last events of service processes,
/// left in this user's state directory by processes that died.
///
/// Looks in the directory a monitor uses (``BlackBoxPlace``: `$XDG_STATE_HOME/safegroup`, else
/// `~/.local/state/safegroup`) and in `SAFEGROUP_BLACKBOX` when that names a directory. A box
/// whose lock a process holds belongs to a live process; the others were left behind. Nothing
/// is changed: boxes are removed by the monitor's rotation, or by hand.
public enum BlackBoxFiles {
    /// The environment variable a monitor's black box may be set with (a directory when absolute).
    public static let variable = "SAFEGROUP_BLACKBOX"
    /// The largest file read as a black box: a 1 GiB ring and its header.
    public static let maxFileBytes = (1 << 30) + BlackBoxImage.headerBytes

    /// A black box found on disk.
    public struct Entry: Sendable {
        public var path: String
        public var image: BlackBoxImage
        /// The stream's header, decoded from the box's own metadata.
        public var header: WireHeader?
        /// Whether a live process still writes it.
        public var isLive: Bool
        /// The wall-clock time of the box's newest event, in ns since the Unix epoch.
        public var lastEventUnixNanoseconds: Int64?
        /// The file's size in bytes.
        public var fileBytes: Int
        /// The file's last modification, in ns since the Unix epoch.
        public var modifiedUnixNanoseconds: Int64

        /// When the box's process last wrote to it, as well as can be told: its newest event's
        /// time, else the file's modification time. Boxes are ordered by it, newest first: a
        /// process that started early may have died last.
        public var endedUnixNanoseconds: Int64 { lastEventUnixNanoseconds ?? modifiedUnixNanoseconds }

        /// `crashed (SIGILL)`, `live`, or `ended without a word` (killed by SIGKILL, the OOM
        /// killer, or crashed without the crash handler: the box cannot tell which).
        public var outcome: String {
            if isLive { return "live" }
            if image.state == .crashed { return "crashed (\(Posix.signalName(image.signal)))" }
            return "ended without a word"
        }
    }

    /// The directories looked in, in order, without creating any.
    public static func directories(environment: (String) -> String? = ServiceDirectory.processEnvironment) -> [String] {
        var result: [String] = []
        if let value = environment(variable), value.hasPrefix("/") {
            result.append(value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value)
        }
        if let place = BlackBoxPlace.directory(environment: environment), !result.contains(place) { result.append(place) }
        return result
    }

    /// The black boxes in ``directories(environment:)`` left by processes that are gone (with
    /// `includingLive`, those of live processes too), newest first by
    /// ``Entry/endedUnixNanoseconds`` (the last event, not the start). Unreadable files are skipped;
    /// a live process's box is not read unless asked for.
    public static func scan(includingLive: Bool = false,
                            environment: (String) -> String? = ServiceDirectory.processEnvironment) -> [Entry] {
        var entries: [Entry] = []
        let uid = Posix.uid
        for directory in directories(environment: environment) {
            guard let st = try? Posix.lstat(directory), Posix.isPrivateDirectory(st, uid: uid),
                  let names = try? Posix.directoryEntries(directory) else { continue }
            for name in names where name.hasSuffix(BlackBoxImage.fileExtension) && !name.hasPrefix(".") {
                let path = "\(directory)/\(name)"
                if !includingLive, (try? Posix.isLockHeld(path)) == true { continue }
                if let entry = try? entry(path) { entries.append(entry) }
            }
        }
        return entries.sorted { ($0.endedUnixNanoseconds, $0.path) > ($1.endedUnixNanoseconds, $1.path) }
    }

    /// The box at `path`, or nil when the file is not a black box.
    ///
    /// - Throws: ``BlackBoxFiles/Failure`` when the file cannot be read, or starts like a black
    ///   box and is not a whole one.
    public static func entry(_ path: String) throws(Failure) -> Entry? {
        guard let bytes = try readIfBlackBox(path) else { return nil }
        let image: BlackBoxImage
        do { image = try BlackBoxImage(bytes) } catch {
            throw Failure(message: "cannot read \(TextSanitizer.sanitize(path)): \(error.description)")
        }
        var decoder = WireDecoder()
        try? decoder.feed(image.headerLine)
        var header: WireHeader?
        while let record = decoder.next() { if case .header(let h) = record { header = h } }
        var last: MonotonicTime?
        // The newest event's time, from the ring's last lines.
        let tail = image.lines.suffix(64 << 10)
        // A tail cut from longer lines starts mid-line: from its first newline on.
        let cut = tail.count < image.lines.count ? tail.firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } : tail.startIndex
        if let start = cut {
            var lines = WireDecoder()
            try? lines.feed(image.headerLine)
            try? lines.feed(tail[start...])
            try? lines.finish()
            while let record = lines.next() { if case .event(_, let event) = record { last = event.time } }
        }
        let when = header.flatMap { h in last.map { h.epochUnixNanoseconds.addingSaturated(Int64(clamping: $0.rawValue)) } }
        let live = (try? Posix.isLockHeld(path)) == true
        let modified = (try? Posix.lstat(path)).flatMap { $0 }.map { Int64($0.st_mtim.tv_sec) * 1_000_000_000 + Int64($0.st_mtim.tv_nsec) } ?? 0
        return Entry(path: path, image: image, header: header, isLive: live, lastEventUnixNanoseconds: when, fileBytes: bytes.count,
                     modifiedUnixNanoseconds: modified)
    }

    /// ``entry(_:)``, with its failure turned into the caller's error by `fail` (given the message).
    public static func entry<E: Error>(_ path: String, orFail fail: (String) -> E) throws(E) -> Entry? {
        switch Result(catching: { () throws(Failure) -> Entry? in try entry(path) }) {
        case .success(let entry): return entry
        case .failure(let failure): throw fail(failure.message)
        }
    }

    /// Why a box cannot be read: one line, naming the file.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The whole file when it starts with the black box magic; nil when it does not.
    static func readIfBlackBox(_ path: String) throws(Failure) -> [UInt8]? {
        let shown = TextSanitizer.sanitize(path)
        do throws(PosixError) {
            let fd = try Posix.openForReading(path)
            defer { Posix.close(fd) }
            var magic = [UInt8](repeating: 0, count: BlackBoxImage.magic.count)
            let n = try magic.withUnsafeMutableBytes { raw in
                Result { () throws(PosixError) -> Int in try Posix.read(fd, into: raw, at: 0, subject: path) }
            }.get()
            guard n == magic.count, BlackBoxImage.isBlackBox(magic) else { return nil }
            let size = Int(try Posix.identity(of: fd, subject: path).size)
            guard size <= maxFileBytes else {
                throw PosixError(call: "read", subject: path, errno: EFBIG, detail: "a black box of \(size) bytes, more than the \(maxFileBytes) a box can be")
            }
            var bytes = [UInt8](repeating: 0, count: size)
            var done = 0
            while done < size {
                let count = try bytes.withUnsafeMutableBytes { raw in
                    Result { () throws(PosixError) -> Int in
                        try Posix.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]), at: Int64(done), subject: path)
                    }
                }.get()
                if count == 0 { break }
                done += count
            }
            return Array(bytes[..<done])
        } catch {
            throw Failure(message: "cannot read \(shown): \(error.reason)")
        }
    }
}
