import GroupEvents

/// One thing a ``MonitorClient`` learned from, or about, a service's stream.
public enum MonitorMessage: Hashable, Sendable {
    /// The client is attached: it read the stream's header. `session` says whether this is the
    /// first service seen, the same process again after a reconnect, or a new one (a restart).
    case attached(WireHeader, session: SessionChange)
    /// An event, with its sequence number in the current session.
    case event(seq: UInt64, Event)
    /// Whole event lines as they came, `count` of them, each with its newline: instead of
    /// ``event(seq:_:)``, from a client that passes lines through
    /// (``MonitorClient/passesLinesThrough``).
    case lines([UInt8], count: Int)
    /// A line the decoder skipped or noticed something about; the stream goes on.
    case diagnostic(WireDiagnostic)
    /// The connection was lost or an attempt to make it failed. When
    /// ``Disconnection/retryIn`` is set the client tries again after that delay; when it is
    /// nil the stream ends after this message.
    case disconnected(Disconnection)
}

/// How a newly read header relates to the sessions the client saw before.
public enum SessionChange: Hashable, Sendable {
    /// The first header this client read.
    case first
    /// The same producer process as before (same pid and epoch): a reconnect after the
    /// connection was lost. The snapshot that follows repeats what is still live.
    case resumed
    /// Another producer process: the service restarted. Ids and `seq` start over; state
    /// built from the previous session no longer applies.
    case restarted
}

/// A lost connection, or a failed attempt to make one, and what the client does next.
public struct Disconnection: Hashable, Sendable, CustomStringConvertible {
    /// The socket path.
    public var path: String
    /// What happened, for example `connection reset` or `no such socket`.
    public var reason: String
    /// True when a connection was up and was lost; false when an attempt to connect failed.
    public var wasAttached: Bool
    /// When the client tries again; nil when it does not.
    public var retryIn: Duration?

    public init(path: String, reason: String, wasAttached: Bool, retryIn: Duration?) {
        self.path = path; self.reason = reason; self.wasAttached = wasAttached; self.retryIn = retryIn
    }

    /// For example `connection to /run/user/1000/safegroup/x.sock lost: connection reset; reconnecting in 1.6 s`.
    public var description: String {
        let socket = TextSanitizer.sanitize(path)
        let what = wasAttached ? "connection to \(socket) lost" : "cannot attach to \(socket)"
        guard let retryIn else { return "\(what): \(reason)" }
        let seconds = ReconnectBackoff.seconds(retryIn)
        // Tenths of a second, except below a tenth, where milliseconds say more.
        let shown = seconds >= 0.1 ? "\((seconds * 10).rounded() / 10) s" : "\(Int((seconds * 1000).rounded())) ms"
        return "\(what): \(reason); \(wasAttached ? "reconnecting" : "retrying") in \(shown)"
    }
}
