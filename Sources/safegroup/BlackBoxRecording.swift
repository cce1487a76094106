import GroupEvents
import MonitorClient
import SystemCalls

/// A black box read as an ordinary recording, for `replay` and `dump`.
enum BlackBoxRecording {
    /// When `path` is a black box: its recording (the header from the box's metadata, then the
    /// ring's lines from the wrap point on) in an unnamed temporary file, given as a path that
    /// opens it (`/proc/self/fd/N`, valid for this process's life). Nil for any other file.
    static func openAsRecording(_ path: String) throws -> String? {
        guard let entry = try deadEntry(path) else { return nil }
        let fd = try Posix.unnamedTemporaryFile()
        try entry.image.recording.withUnsafeBytes { bytes in Result { () throws(PosixError) in try Posix.writeAll(fd, bytes, subject: "a temporary file") } }.get()
        return "/proc/self/fd/\(fd)"
    }

    /// The box at `path`, or nil when the file is not a black box.
    ///
    /// - Throws: a ``CommandFailure`` when it cannot be read, or when a live process still
    ///   writes it (its ring changes under the reader; `safegroup snapshot` is the way).
    static func deadEntry(_ path: String) throws -> BlackBoxFiles.Entry? {
        guard let entry = try BlackBoxFiles.entry(path, orFail: CommandFailure.init) else { return nil }
        if entry.isLive {
            throw CommandFailure("\(TextSanitizer.sanitize(path)) is the black box of pid \(entry.image.pid), which is still running; take a copy with 'safegroup snapshot SOCKET' (its socket is in 'safegroup list')")
        }
        return entry
    }
}
