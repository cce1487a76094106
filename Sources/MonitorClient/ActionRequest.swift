import GroupEvents
import SystemCalls

/// Sends a viewer's request (``ViewerRequest``) to a service and waits for its answer.
///
/// A connection of its own, short-lived: the viewer's stream stays as it is, and the answer,
/// a `viewer.action` event naming this process and the request's number, reaches every viewer
/// (the dashboard shows it from its own stream). The listener admits this connection like any
/// viewer: only the service's uid, or root.
public enum ActionRequest {
    /// Sends `request` to the service at `path` and returns the service's answer, or nil when
    /// none came within `timeout` (a service before wire 1.5 reads and ignores requests).
    public static func send(_ request: ViewerRequest, to path: String, timeout: Duration = .seconds(3))
        async throws(MonitorClientError) -> ViewerAction? {
        let fd: Int32
        do { fd = try Posix.connectedSocket(path: path) } catch { throw MonitorClientError.cannotAttach(path, error) }
        defer { Posix.close(fd) }
        let line = request.line
        // A request is far shorter than a fresh socket's buffer: one send takes it whole.
        var failure: PosixError?
        line.withUnsafeBytes { raw in
            do throws(PosixError) { _ = try Posix.send(fd, raw) } catch { failure = error }
        }
        if let failure {
            throw MonitorClientError(.system, path: path, "cannot send to \(TextSanitizer.sanitize(path)): \(failure.reason)")
        }
        let me = Posix.pid
        let deadline = Posix.monotonicNanoseconds() &+ Posix.nanoseconds(timeout)
        var decoder = WireDecoder()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let now = Posix.monotonicNanoseconds()
            guard now < deadline else { return nil }
            let wait = Int32(min(100, (deadline - now) / 1_000_000 + 1))
            // In slices, so that a cancelled task stops within a tenth of a second.
            if Task.isCancelled { return nil }
            guard (try? Posix.waitReadable(fd, timeoutMilliseconds: wait)) == true else { continue }
            let count: Int?
            do {
                count = try buffer.withUnsafeMutableBytes { (raw) throws(PosixError) -> Int? in try Posix.receive(fd, into: raw, path: path) }
            } catch {
                return nil
            }
            guard let count else { continue }
            if count == 0 { return nil }  // the service went away (or refused this peer)
            do { try decoder.feed(buffer[..<count]) } catch { return nil }
            while let record = decoder.next() {
                if case .event(_, let event) = record, case .viewerAction(let action) = event.kind,
                   action.viewer == me, action.request == request.request {
                    return action
                }
            }
        }
    }
}
