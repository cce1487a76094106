/// The state of the dashboard's source of events, as the run loop reports it.
public enum ConnectionState: Hashable, Sendable {
    /// Connecting for the first time.
    case connecting
    /// Receiving the stream.
    case connected
    /// The connection was lost; the next attempt is in this many seconds.
    case reconnecting(inSeconds: Int)
    /// The service closed the stream, or the recording ended.
    case ended
    /// The service died; `reason` says how when it is known (a last-gasp crash event).
    case crashed(reason: String)

    /// Whether events are flowing, so the clock may run on between them.
    var isLive: Bool {
        switch self {
        case .connecting, .connected: true
        case .reconnecting, .ended, .crashed: false
        }
    }
}
