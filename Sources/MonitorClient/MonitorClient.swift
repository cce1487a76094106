/// The viewer's side of a service's socket: connects, reads and decodes the stream, and
/// reconnects after the service restarts.
///
/// Iterate ``messages()``; each iteration has its own connection, read on a thread of its own:
///
/// ```swift
/// let client = MonitorClient(path: "/run/user/1000/safegroup/checkout-4242.sock")
/// for try await message in client.messages() {
///     switch message {
///     case .attached(let header, let session): …   // .restarted: a new process, start over
///     case .event(let seq, let event): …
///     case .diagnostic(let note): …
///     case .disconnected(let loss): print(loss)   // "connection to … lost: …; reconnecting in 0.1 s"
///     }
/// }
/// ```
///
/// When the connection is lost the client reports it and tries again after a
/// ``ReconnectBackoff`` delay, for as long as the iteration goes on; the delays start over
/// once a header is read. A first connection that fails ends the iteration with a
/// ``MonitorClientError`` (`cannot attach to PATH: no such socket (is the service running?
/// try 'safegroup list')`), unless ``waitsForService`` is set. A stream that cannot be read (an
/// unknown major version) always ends it with an error. Ending the iteration (break, or
/// cancelling its task) closes the connection.
public struct MonitorClient: Sendable {
    /// The socket path.
    public var path: String
    /// Whether to reconnect after the connection is lost. Default true.
    public var reconnects: Bool
    /// Whether a failed first connection is retried like a lost one, instead of ending the
    /// iteration with an error. Default false.
    public var waitsForService: Bool
    /// The delays between attempts.
    public var backoff: ReconnectBackoff
    /// A connection that brings no byte for this long is treated as lost (the monitor sends
    /// a heartbeat every second). Nil: wait forever. Default 10 s.
    public var silenceTimeout: Duration?
    /// How many messages wait for the consumer before the client stops reading the socket and
    /// lets the monitor count drops instead. Default 16,384.
    public var queueCapacity: Int
    /// Whether event lines are handed over as the bytes that came, in
    /// ``MonitorMessage/lines(_:count:)`` messages of many lines, instead of decoded one by one:
    /// for a reader that stores them (see `WireDecoder.init(passThroughWithMaxLineLength:)` for
    /// what is still checked). Default false.
    public var passesLinesThrough: Bool

    public init(path: String, reconnects: Bool = true, waitsForService: Bool = false,
                backoff: ReconnectBackoff = ReconnectBackoff(), silenceTimeout: Duration? = .seconds(10),
                queueCapacity: Int = 16_384, passesLinesThrough: Bool = false) {
        self.path = path
        self.reconnects = reconnects
        self.waitsForService = waitsForService
        self.backoff = backoff
        self.silenceTimeout = silenceTimeout
        self.queueCapacity = queueCapacity
        self.passesLinesThrough = passesLinesThrough
    }

    /// The messages of the stream at ``path``; each iteration connects anew.
    public func messages() -> MonitorMessages { MonitorMessages(client: self) }
}
