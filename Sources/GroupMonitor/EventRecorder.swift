import Synchronization
import Glibc
import SystemCalls

/// Records the monitor's stream to a file, in the same format as the socket stream.
///
/// The monitor thread hands it whole lines through a bounded buffer (``bufferBytes``) and
/// writes them out; producers never wait for the disk. Lines that do not fit are lost whole,
/// counted, and reported in-band as on a socket. On a write failure (`ENOSPC`, `EIO`, …) the
/// recorder stops for good and reports one message through its reporter (on a thread of its
/// own, never the monitor's); the service goes on.
///
/// Enable it with the `record` argument of ``SafeGroupMonitor/start(service:socketPath:record:configuration:installAsDefault:reporter:)``
/// or the `SAFEGROUP_RECORD` environment variable.
public final class EventRecorder: Sendable {
    /// The environment variable that turns recording on: the path of the file to write.
    public static let environmentVariable = "SAFEGROUP_RECORD"

    /// The file being written.
    public let path: String

    private struct Status {
        var linesWritten: UInt64 = 0
        var bytesWritten: UInt64 = 0
        var linesDropped: UInt64 = 0
        var failure: String?
    }
    private let status = Mutex(Status())

    /// Lines lost because the recorder's buffer was full.
    public var linesDropped: UInt64 { status.withLock { $0.linesDropped } }
    /// Bytes written to the file so far.
    public var bytesWritten: UInt64 { status.withLock { $0.bytesWritten } }
    /// The message reported when recording stopped on an error, else nil.
    public var failure: String? { status.withLock { $0.failure } }
    /// True until recording stopped on an error.
    public var isRecording: Bool { failure == nil }

    init(path: String) { self.path = path }

    func update(bytes: Int, dropped: UInt64) {
        status.withLock {
            $0.bytesWritten &+= UInt64(bytes)
            $0.linesDropped = dropped
        }
    }

    /// Records the failure; returns true the first time (when it must be reported).
    func fail(_ message: String) -> Bool {
        status.withLock {
            if $0.failure != nil { return false }
            $0.failure = message
            return true
        }
    }
}

/// The monitor thread's side of an ``EventRecorder``: the file and its line buffer.
struct RecorderOutput {
    let recorder: EventRecorder
    let fd: Int32
    var output: LineBuffer
    /// The file's slot among the crash handler's targets, when it is one.
    var crashSlot: Int32?

    /// Opens (creates or truncates) the file, mode 0644 minus the umask. Non-blocking, so that
    /// a FIFO without a reader fails at once instead of hanging the service's startup.
    static func open(path: String, capacity: Int) throws(PosixError) -> RecorderOutput {
        let fd = try Posix.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, mode: 0o644)
        return RecorderOutput(recorder: EventRecorder(path: path), fd: fd, output: LineBuffer(capacity: capacity), crashSlot: nil)
    }

    /// Writes everything waiting; on failure returns the message to report.
    mutating func flush(encoder: inout LineEncoder) -> String? {
        var total = 0
        defer { recorder.update(bytes: total, dropped: output.lost) }
        while output.pending > 0 {
            let fd = self.fd, path = recorder.path, gated = crashSlot != nil
            var failure: PosixError?
            let n = output.drain { bytes in
                let write = { () -> Int? in
                    do throws(PosixError) { return try Posix.write(fd, bytes, subject: path) } catch { failure = error; return nil }
                }
                // A crash target is written inside the crash handler's gate; held, it takes nothing.
                return gated ? (CrashTargets.pass(write) ?? 0) : write()
            }
            if let failure {
                if failure.errno == EPIPE { Posix.consumePendingSIGPIPE() }
                return "safegroup: recording to \(path) stopped: \(failure); the service goes on without recording"
            }
            total += n ?? 0
            if n == 0 { break }
            output.catchUp(encoder: &encoder)
        }
        return nil
    }

    func close() { CrashTargets.removeAndClose(slot: crashSlot, fd: fd) }
}
