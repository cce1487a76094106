import Glibc
import GroupEvents
import SystemCalls

/// One attached viewer: its socket and its own bounded buffer of lines.
///
/// Owned by the monitor thread alone.
final class Viewer {
    let fd: Int32
    /// The viewer's process id, from `SO_PEERCRED`.
    let pid: pid_t
    var output: LineBuffer
    /// When a write last made progress (or the buffer was last empty), on the monotonic clock.
    var lastProgress: UInt64
    /// Set once the viewer shut down its sending side; it may still be reading.
    var doneSending = false
    /// The viewer's slot among the crash handler's targets, when it is one.
    var crashSlot: Int32?
    /// The socket took nothing at the last write: no write is tried again until `poll` says
    /// it is writable, so a stalled viewer costs no system call per pass of the loop.
    var isBlocked = false

    init(fd: Int32, pid: pid_t, capacity: Int, now: UInt64) {
        self.fd = fd
        self.pid = pid
        self.output = LineBuffer(capacity: capacity)
        self.lastProgress = now
    }

    enum FlushResult {
        /// Everything waiting was written, or the socket is full for now.
        case open
        /// The viewer went away.
        case closed
    }

    /// Writes as much as the socket takes without blocking.
    func flush(now: UInt64, encoder: inout LineEncoder) -> FlushResult {
        while true {
            if output.pending == 0 {
                lastProgress = now
                output.catchUp(encoder: &encoder)
                if output.pending == 0 { return .open }
            }
            let fd = self.fd, gated = crashSlot != nil
            guard let written = output.drain({ bytes in
                // A crash target is written inside the crash handler's gate; held, it takes nothing.
                let send = { () -> Int? in do { return try Posix.send(fd, bytes) ?? 0 } catch { return nil } }
                return gated ? (CrashTargets.pass(send) ?? 0) : send()
            }) else {
                return .closed
            }
            if written == 0 {
                isBlocked = true
                return .open
            }
            lastProgress = now
            output.catchUp(encoder: &encoder)
        }
    }

    /// Request lines the viewer sent, without their newlines, for the monitor loop to answer:
    /// actions (``ViewerRequest``) and the black box snapshot (``BlackBox/snapshotRequest``). A
    /// line over ``ViewerRequest/maxLineBytes`` is cut to that many bytes plus one, so that it
    /// is refused as too long.
    var requests: [[UInt8]] = []
    /// Bytes of a request line not yet ended by a newline.
    private var partial: [UInt8] = []
    /// Set while the rest of an over-long line is skipped.
    private var skippingLine = false

    /// Reads what the viewer sent: request lines go to ``requests`` (at most 16 per read:
    /// the rest of a flood is not read until those are answered).
    func readInput() -> FlushResult {
        var scratch = [UInt8](repeating: 0, count: 512)
        while requests.count < 16 {
            let n: Int?
            do {
                n = try scratch.withUnsafeMutableBytes { (raw) throws(PosixError) -> Int? in try Posix.recv(fd, into: raw) }
            } catch {
                return .closed
            }
            guard let n else { return .open }
            if n == 0 { doneSending = true; return .open }
            for byte in scratch[..<n] {
                if byte == UInt8(ascii: "\n") {
                    if !skippingLine, !partial.isEmpty { requests.append(partial) }
                    partial.removeAll(keepingCapacity: true)
                    skippingLine = false
                } else if !skippingLine {
                    partial.append(byte)
                    if partial.count > ViewerRequest.maxLineBytes {
                        requests.append(partial)  // refused as too long
                        partial.removeAll(keepingCapacity: true)
                        skippingLine = true
                    }
                }
            }
        }
        return .open
    }

    func close() { CrashTargets.removeAndClose(slot: crashSlot, fd: fd) }
}
