import GroupEvents
import MonitorClient
import SystemCalls

/// A black box read as an ordinary recording, for `replay` and `dump`.
enum BlackBoxRecording {
    /// When `path` is a black box: its recording (the header from the box's metadata, then the
    /// ring's lines from the wrap point on) in an unnamed temporary file, given as a path that
    /// opens it (`/proc/self/fd/N`, valid for this process's life). Nil for any other file.
    static func openAsRecording(_ path: String) throws -> String? {
        let found = try BlackBoxFiles.entry(path, orFail: CommandFailure.init)
        guard let entry = found else { return nil }
        let fd = try Posix.unnamedTemporaryFile()
        try entry.image.recording.withUnsafeBytes { bytes in Result { () throws(PosixError) in try Posix.writeAll(fd, bytes, subject: "a temporary file") } }.get()
        return "/proc/self/fd/\(fd)"
    }
}
