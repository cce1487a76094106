import Synchronization
import SystemCalls

/// The bounded hand-off between a client's reader thread and the task iterating its messages.
///
/// Bounded on purpose: when the consumer falls behind, the reader stops reading the socket,
/// the socket's buffer fills, and the *monitor* drops lines for this viewer and reports them
/// in-band. So a slow consumer costs counted drops, never unbounded memory here. The consumer
/// takes everything waiting in one lock, so the hand-off costs little per message.
final class MessageChannel: Sendable {
    private struct State {
        var queue: [MonitorMessage] = []
        var waiter: CheckedContinuation<Void, Never>?
        /// Set when the reader finished: nil error for a normal end.
        var end: MonitorClientError??
        var cancelled = false
    }

    /// Messages the queue holds before the reader stops reading the socket.
    let capacity: Int
    /// Wakes the reader thread: room again in the queue, or cancelled. Owned here, so it is
    /// closed only once neither side can signal it any more.
    let wakeFD: Int32
    private let state = Mutex(State())

    init(capacity: Int) throws(PosixError) {
        self.capacity = max(1, capacity)
        self.wakeFD = try Posix.eventfd()
    }

    deinit { Posix.close(wakeFD) }

    // MARK: The reader's side

    /// Appends a message; the reader checks ``hasRoom`` before reading more.
    func push(_ message: MonitorMessage) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.queue.append(message)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    var hasRoom: Bool { state.withLock { $0.queue.count < capacity } }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Ends the stream after the messages already pushed: normally, or with `error`.
    func finish(_ error: MonitorClientError?) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.end == nil { s.end = .some(error) }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    // MARK: The consumer's side

    enum Taken {
        case messages([MonitorMessage])
        case end(MonitorClientError?)
    }

    /// Everything waiting, or the end; suspends while there is neither.
    func take() async -> Taken {
        await withTaskCancellationHandler {
            while true {
                let (taken, wasFull) = state.withLock { s -> (Taken?, Bool) in
                    if !s.queue.isEmpty {
                        let wasFull = s.queue.count >= capacity
                        defer { s.queue = [] }
                        return (.messages(s.queue), wasFull)
                    }
                    if s.cancelled { return (.end(nil), false) }
                    if let end = s.end { return (.end(end), false) }
                    return (nil, false)
                }
                if wasFull { Posix.signal(eventfd: wakeFD) }
                if let taken { return taken }
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { s -> Bool in
                        if !s.queue.isEmpty || s.cancelled || s.end != nil { return true }
                        s.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops the reader and ends the consumer's iteration.
    func cancel() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.cancelled = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
        Posix.signal(eventfd: wakeFD)
    }
}
