import Dashboard
import GroupEvents
import MonitorClient

/// The source of `attach`: a service's socket, read by ``MonitorClient`` in a task of its own.
///
/// The client's messages become the reducer's: a header (first, resumed or restarted; the
/// reducer starts the tree afresh on each, and a resumed stream repeats its live snapshot),
/// events, diagnostics, and connection changes. A lost connection is told apart by what is
/// left at the socket's path: nothing (the service shut down and removed it: ended), a
/// socket nobody serves (the process died without cleaning up: crashed), or a live socket
/// (a hiccup: reconnecting in N s). The client keeps retrying in every case, so a service
/// restarted on the same path is attached again. When the stream ended with the service's last
/// gasp (a `process.crashed` event), the reducer shows it crashed with the signal, the task and
/// the reason instead, whatever this guess says (``DashboardState/update(_:)``).
struct LiveSource: DashboardSource {
    let mode = DashboardMode.live
    let path: String
    private(set) var failure: CommandFailure?
    private let mailbox: BoundedMailbox<Arrival>
    private let reader: Task<Void, Never>

    /// What the client's task hands over.
    enum Arrival: Sendable {
        case message(MonitorMessage)
        /// The iteration ended with an error: the socket could not be reached at first, or the
        /// stream cannot be read.
        case failed(MonitorClientError)
        /// A line for the footer: what became of a request the service never answered.
        case notice(String)
    }

    init(path: String) {
        self.path = path
        let mailbox = BoundedMailbox<Arrival>(capacity: 16_384)
        self.mailbox = mailbox
        reader = Task.detached {
            var messages = MonitorClient(path: path).messages().makeAsyncIterator()
            do throws(MonitorClientError) {
                while let message = try await messages.next() {
                    await Self.deliver(.message(message), to: mailbox)
                }
            } catch {
                await Self.deliver(.failed(error), to: mailbox)
            }
        }
    }

    /// Waits while the mailbox is full rather than dropping: the client then stops reading
    /// the socket, and the monitor counts drops for this viewer, in band, where the header
    /// shows them. Only a viewer that is behind ever waits here.
    private static func deliver(_ arrival: Arrival, to mailbox: BoundedMailbox<Arrival>) async {
        while !mailbox.offer(arrival) {
            if Task.isCancelled { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    mutating func poll(_ deliver: (DashboardMessage) -> Void) {
        var batch = MessageBatch()
        for arrival in mailbox.takeAll() {
            switch arrival {
            case .message(.attached(let header, _)):
                batch.append(.header(header))
                batch.append(.connection(.connected))
            case .message(.event(let seq, let event)):
                batch.append(.event(seq: seq, event))
            case .message(.diagnostic(let diagnostic)):
                batch.append(.diagnostic(diagnostic))
            case .message(.disconnected(let loss)):
                batch.append(.connection(connection(after: loss)))
            case .message(.lines):
                break  // only a client that passes lines through sends them
            case .failed(let error):
                failure = CommandFailure(error.message)
            case .notice(let text):
                batch.take().forEach(deliver)
                deliver(.notice(text))
            }
        }
        batch.take().forEach(deliver)
    }

    /// What a lost connection means, judged by what is left at the socket's path.
    private func connection(after loss: Disconnection) -> ConnectionState {
        guard let retry = loss.retryIn else { return .ended }
        switch ServiceDirectory.entry(path)?.state {
        case nil:
            return .ended
        case .stale(let reason)?:
            return .crashed(reason: reason)
        case .live?:
            let (seconds, attoseconds) = retry.components
            return .reconnecting(inSeconds: Int(seconds) + (attoseconds > 0 ? 1 : 0))
        }
    }

    /// `x` then `y`: sends the cancel on a connection of its own. The service's answer comes
    /// in the stream (a `viewer.action` event, which the footer shows); only a failure to
    /// send, or no answer at all, is said here.
    mutating func perform(_ effect: DashboardEffect, _ deliver: (DashboardMessage) -> Void) {
        guard case .cancel(let target) = effect else { return }
        nextRequest += 1
        let (request, path, mailbox) = (ViewerRequest(request: nextRequest, target: target), self.path, self.mailbox)
        deliver(.notice("asking the service to cancel \(target.description)…"))
        Task.detached {
            do throws(MonitorClientError) {
                if try await ActionRequest.send(request, to: path) == nil {
                    await Self.deliver(.notice("the service did not answer the cancel"), to: mailbox)
                }
            } catch {
                await Self.deliver(.notice(error.message), to: mailbox)
            }
        }
    }

    private var nextRequest: UInt64 = 0

    mutating func finish() { reader.cancel() }
}
