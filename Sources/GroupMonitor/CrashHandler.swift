import CSafeGroupSystem
import GroupEvents
import SystemCalls

/// The last gasp: an opt-in crash handler that makes a dying service say what killed it.
///
/// When a child traps in-process (a force-unwrap of nil, an index out of range, `fatalError`,
/// an overflow), the process dies: Swift has no `recover`. With the crash handler on, the
/// monitor first writes one `process.crashed` event (the signal, Swift's `Fatal error: …`
/// message when there is one, the SafeGroup child that was running, the thread, the raw stack)
/// to every attached viewer and to the recording, then hands the signal on to the handler
/// installed before it, so Swift's own backtrace and the exit status are unchanged.
///
/// Turn it on with ``MonitorConfiguration/crashHandler`` or `SAFEGROUP_CRASH_HANDLER=1`;
/// ``SafeGroupMonitor/start(service:socketPath:record:configuration:installAsDefault:reporter:)``
/// calls ``install()``. It handles `SIGILL`, `SIGTRAP`, `SIGSEGV`, `SIGBUS`, `SIGFPE` and
/// `SIGABRT`, and stays installed for the process's life. See docs/MONITOR.md.
public enum CrashHandler {
    /// The environment variable that turns the crash handler on for every monitor: `1`.
    public static let environmentVariable = "SAFEGROUP_CRASH_HANDLER"

    /// Installs the crash handler (once per process; later calls do nothing) and the
    /// ``ChildTracking`` hooks that let it name the running child.
    ///
    /// - Throws: ``PosixError`` (call `sigaction`, naming the signal) when `sigaction` fails;
    ///   then no signal is left handled, ``isInstalled`` stays false and a later call tries again.
    public static func install() throws(PosixError) {
        // The handler's clock: CLOCK_BOOTTIME, which is ContinuousClock's on Linux and the one
        // the stream's timestamps count on, less the epoch's reading of it.
        try Posix.installCrashHandler(epochOffsetNanoseconds: MonotonicEpoch.nanosecondsSinceClockEpoch)
        ChildTracking.install(enter: csystem_crash_task_enter, leave: csystem_crash_task_leave)
    }

    /// Installs the tracking hooks again after ``ChildTracking/pause()`` (for measurements).
    public static func resumeTracking() {
        guard isInstalled else { return }
        ChildTracking.install(enter: csystem_crash_task_enter, leave: csystem_crash_task_leave)
    }

    /// Whether the crash handler is installed in this process.
    public static var isInstalled: Bool { csystem_crash_is_installed() != 0 }

    /// Children that started while the crash handler's table of running children (8,192 slots)
    /// was full: a crash in one of them names no task.
    public static var untrackedChildren: UInt64 { csystem_crash_task_overflows() }

    /// Whether `SAFEGROUP_CRASH_HANDLER` asks for it.
    static var isRequestedByEnvironment: Bool {
        SocketPath.processEnvironment(environmentVariable) == "1"
    }
}

/// A monitor's side of the crash handler: its stream (the `seq` it numbered last) and its
/// targets (each viewer's socket, the recording's file).
///
/// Every write to a target, and every change to the targets, goes through the handler's gate
/// (``pass(_:)``): while a crash event is being written, the monitor touches nothing, so the
/// event is the last line of each target and no descriptor is closed or reused under it (unless
/// a writer stays in the gate longer than the handler's 200 ms wait: then the rest of its
/// bytes follow the event).
struct CrashTargets {
    private let stream: Int32

    /// A stream for one monitor, or nil when the crash handler is off (or 16 monitors have one).
    init?() {
        guard CrashHandler.isInstalled else { return nil }
        let stream = csystem_crash_stream_open()
        guard stream >= 0 else { return nil }
        self.stream = stream
    }

    /// Publishes the newest `seq`: a crash event takes the next one.
    func publish(_ seq: UInt64) { csystem_crash_stream_publish(stream, seq) }

    /// Lets the last gasp append its event to `blackBox`'s ring too (nil: no longer). False,
    /// doing nothing, while a crash event is being written: then the ring must stay mapped.
    @discardableResult
    func setRing(_ blackBox: BlackBox?) -> Bool {
        Self.pass {
            if let blackBox {
                blackBox.withRing { csystem_crash_stream_set_ring(stream, $0) }
            } else {
                csystem_crash_stream_set_ring(stream, nil)
            }
        } != nil
    }

    /// Adds a target; returns its slot, or nil when the table is full or a crash is being written.
    func add(fd: Int32, isSocket: Bool) -> Int32? {
        Self.pass { () -> Int32? in
            let slot = csystem_crash_target_add(stream, fd, isSocket ? 1 : 0)
            return slot >= 0 ? slot : nil
        } ?? nil
    }

    /// Removes a target and closes its descriptor. While a crash event is being written, the
    /// descriptor is left open (the process is dying; closing it could hand its number to
    /// another file under the handler).
    static func removeAndClose(slot: Int32?, fd: Int32) {
        guard let slot else { return Posix.close(fd) }
        pass {
            csystem_crash_target_remove(slot)
            Posix.close(fd)
        }
    }

    /// Runs `body` inside the gate, or returns nil without running it while a crash event is
    /// being written.
    @discardableResult
    static func pass<T>(_ body: () -> T) -> T? {
        guard csystem_crash_gate_enter() != 0 else { return nil }
        defer { csystem_crash_gate_leave() }
        return body()
    }

    /// True while a crash event is being written (for at most two seconds).
    static var isHolding: Bool { pass { () } == nil }

    /// Frees the stream; its targets must have been removed.
    func close() { csystem_crash_stream_close(stream) }
}
