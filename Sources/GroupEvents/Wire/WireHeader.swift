/// The first line of an event stream: who produced it, and how to read its timestamps.
///
/// Every stream starts with a header. Its `format` field is always ``WireFormat/name``, which
/// is not stored here; `version` tells a reader whether it can read the rest.
public struct WireHeader: Hashable, Sendable {
    /// The version of the format the producer wrote.
    public var version: WireVersion
    /// The name of the producing service, for example `checkout`.
    public var service: String
    /// The producing process's id.
    public var pid: Int32
    /// The wall-clock time of the monotonic epoch (``MonotonicEpoch``), in nanoseconds since
    /// 1970-01-01T00:00:00Z. Adding an event's ``MonotonicTime`` gives its wall-clock time.
    public var epochUnixNanoseconds: Int64
    /// The clock of the events' timestamps; ``WireFormat/monotonicClock`` for this build.
    public var clock: String
    /// Whether the service accepts viewers' action requests (`"actions":true`, since 1.5).
    public var actions: Bool

    public init(service: String, pid: Int32, epochUnixNanoseconds: Int64,
                clock: String = WireFormat.monotonicClock, version: WireVersion = WireFormat.version, actions: Bool = false) {
        self.actions = actions
        self.version = version
        self.service = service
        self.pid = pid
        self.epochUnixNanoseconds = epochUnixNanoseconds
        self.clock = clock
    }
}
