/// The limits of a monitor. The defaults are what a service gets from ``SafeGroupMonitor/start(service:socketPath:record:configuration:installAsDefault:reporter:)``.
///
/// Memory is bounded by these numbers whatever viewers do: about
/// `eventCapacity` events + `maxViewers × viewerBufferBytes` + `recorderBufferBytes`, plus the
/// live state (bounded by ``LiveState``'s limits).
public struct MonitorConfiguration: Sendable {
    /// How many events can wait between the producers and the monitor thread before new ones
    /// are dropped (and counted). Default 65,536.
    public var eventCapacity: Int = 65_536
    /// The bytes of lines each viewer's own buffer holds before that viewer loses lines.
    /// Default 1 MiB.
    public var viewerBufferBytes: Int = 1 << 20
    /// How many viewers can attach at once; the next one gets a one-line refusal. Default 16.
    public var maxViewers: Int = 16
    /// A viewer whose buffer is full and that has taken no byte for this long is disconnected.
    /// Default 10 s.
    public var stallTimeout: Duration = .seconds(10)
    /// How often a heartbeat goes out. Default 1 s.
    public var heartbeatInterval: Duration = .seconds(1)
    /// The bytes of lines the recorder buffers before it loses lines. Default 4 MiB.
    public var recorderBufferBytes: Int = 4 << 20
    /// Install the crash handler (``CrashHandler``): on a trap, the monitor writes a last
    /// `process.crashed` event to its viewers and recording before the process dies. Default
    /// off (it changes the process's signal handlers); `SAFEGROUP_CRASH_HANDLER=1` turns it on too.
    public var crashHandler: Bool = false
    /// The black box's ring in bytes (``BlackBox``): the most recent events, in a memory-mapped
    /// file that outlives a crash; 0 turns it off. Default 0 (off: see docs/MONITOR.md for what
    /// it costs); `SAFEGROUP_BLACKBOX` (`off`, `on`, a size such as `8M`, or a directory)
    /// overrides it.
    public var blackBoxBytes: Int = 0
    /// The directory of black boxes; nil: `$XDG_STATE_HOME/safegroup`, else
    /// `~/.local/state/safegroup` (created 0700).
    public var blackBoxDirectory: String?
    /// The black box's age bound: a reader (`replay`, `dump`, `blackbox`, a snapshot) keeps only
    /// the events at most this much older than the box's newest, so a quiet service's box does not
    /// replay hours-old events. `.zero` keeps whatever the ring holds. Default 60 s;
    /// `SAFEGROUP_BLACKBOX_AGE` (`60s`, `5m`, `off`) overrides it.
    public var blackBoxMaxAge: Duration = .seconds(60)
    /// Write a snapshot of the black box (a recording beside it) on `SIGUSR1`. Default off;
    /// `SAFEGROUP_BLACKBOX_SIGUSR1=1` turns it on too. Installed only when `SIGUSR1` has its
    /// default action: a handler of the host's own is left alone (and that is reported once).
    public var blackBoxSnapshotOnSIGUSR1: Bool = false

    /// Let attached viewers act on the service: cancel a task or a group (`x` in `safegroup
    /// attach`). Default off: every request is then refused, with a reason, in the stream.
    /// Viewers are the peers the socket already admits (the service's uid, or root); each
    /// request is recorded as a `viewer.action` event naming the viewer's process id.
    /// docs/MONITOR.md, "Actions", states the threat model.
    public var actions: Bool = false

    public init() {}
}

/// Running totals of a monitor, for tests and diagnostics.
///
/// Once the monitor thread has caught up, `produced == delivered + dropped` exactly.
public struct MonitorStatistics: Hashable, Sendable {
    /// Events handed to ``SafeGroupMonitor/emit(_:)``.
    public var produced: UInt64
    /// Events the monitor thread took from the buffer (numbered and passed on).
    public var delivered: UInt64
    /// Events dropped because the buffer was full (or the monitor was shut down).
    public var dropped: UInt64
    /// Viewers attached now.
    public var viewers: Int
    /// Viewers accepted since the start.
    public var viewersAccepted: UInt64
    /// Peers of another uid closed without a byte.
    public var peersRefused: UInt64
    /// Viewers refused because ``MonitorConfiguration/maxViewers`` were attached.
    public var viewersRefused: UInt64
    /// Viewers disconnected because they stalled.
    public var viewersStalled: UInt64
    /// Lines lost by viewers whose buffer was full, all viewers together.
    public var viewerLinesDropped: UInt64
}
