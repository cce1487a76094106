import GroupEvents
import Synchronization
import Glibc
import SystemCalls

/// The in-service monitor: receives every group's events and serves them on a Unix socket.
///
/// Start it once at startup; it installs itself as the process's default ``EventSink``:
///
/// ```swift
/// let monitor = try SafeGroupMonitor.start(service: "checkout")
/// defer { monitor.shutdown() }
/// ```
///
/// ``emit(_:)`` never blocks the producer beyond a short lock: events go into a bounded buffer
/// (``MonitorConfiguration/eventCapacity``), and what does not fit is dropped and counted. A
/// thread of the monitor's own numbers the events (`seq`), keeps a snapshot of what is live,
/// and writes to each viewer through that viewer's own bounded buffer, so no viewer ever slows
/// the service. See ``MonitorConfiguration`` for the limits.
///
/// A viewer receives the header line, then the snapshot — the original lines (with their
/// original `seq`) of the open groups, the tasks spawned or started and not yet ended, and the
/// most recent faults, in `seq` order — then the live stream with `seq` continuing, and a
/// heartbeat about once a second.
public final class SafeGroupMonitor: EventSink {
    /// The service's name, as the header gives it.
    public let service: String
    /// The path of the socket being served.
    public let socketPath: String
    /// The recorder, when recording was asked for and the file could be opened.
    public let recorder: EventRecorder?

    private let loop: MonitorLoop
    private let buffer: EventBuffer
    private let thread: Mutex<pthread_t?>

    private static let current = Mutex<SafeGroupMonitor?>(nil)

    /// The monitor most recently started and not yet shut down.
    public static var shared: SafeGroupMonitor? { current.withLock { $0 } }

    /// Writes `message` and a newline to standard error: the default reporter.
    public static let standardErrorReporter: @Sendable (String) -> Void = { message in
        var line = Array((message + "\n").utf8)
        _ = line.withUnsafeMutableBytes { try? Posix.write(STDERR_FILENO, UnsafeRawBufferPointer($0), subject: "standard error") }
    }

    private init(service: String, socketPath: String, loop: MonitorLoop, recorder: EventRecorder?, thread: pthread_t) {
        self.service = service
        self.socketPath = socketPath
        self.loop = loop
        self.buffer = loop.buffer
        self.recorder = recorder
        self.thread = Mutex(thread)
    }

    /// Starts a monitor for `service` and serves its socket.
    ///
    /// - Parameters:
    ///   - socketPath: the socket path; by default ``SocketPath/resolve(service:explicit:environment:)``
    ///     (`SAFEGROUP_SOCKET`, else a private per-user directory).
    ///   - record: a file to record the stream to; by default the `SAFEGROUP_RECORD` environment
    ///     variable, if set. A file that cannot be opened is reported and recording is skipped.
    ///   - configuration: the limits, and ``MonitorConfiguration/crashHandler`` (also turned on by
    ///     `SAFEGROUP_CRASH_HANDLER=1`): a crash handler that cannot be installed is reported and
    ///     the service goes on without it.
    ///   - installAsDefault: install the monitor as ``EventSystem``'s default sink (and as ``shared``).
    ///   - reporter: receives the one message of a recorder that stopped on an error; called on a
    ///     thread of its own, never on the monitor's.
    /// - Throws: ``MonitorError`` when the socket path is unsafe, already served by a live
    ///   process, or a system call fails.
    public static func start(service: String, socketPath: String? = nil, record: String? = nil,
                             configuration: MonitorConfiguration = MonitorConfiguration(),
                             installAsDefault: Bool = true,
                             reporter: @escaping @Sendable (String) -> Void = standardErrorReporter) throws(MonitorError) -> SafeGroupMonitor {
        var configuration = configuration
        if configuration.crashHandler || CrashHandler.isRequestedByEnvironment {
            do {
                try CrashHandler.install()
                configuration.crashHandler = true
            } catch {
                reporter("safegroup: cannot install the crash handler: \(error); the service goes on without a last gasp")
                configuration.crashHandler = false
            }
        }
        let path = try SocketPath.resolve(service: service, explicit: socketPath)
        let listener = try SocketListener.open(path: path)

        var recorderOutput: RecorderOutput?
        if let recordPath = record ?? SocketPath.processEnvironment(EventRecorder.environmentVariable), !recordPath.isEmpty {
            do {
                recorderOutput = try RecorderOutput.open(path: recordPath, capacity: configuration.recorderBufferBytes)
            } catch {
                reporter("safegroup: cannot record to \(recordPath): \(error.reason); the service goes on without recording")
            }
        }

        // The wall-clock time of the monotonic epoch, for the header.
        let epoch = Int64(Posix.wallClockNanoseconds()) - Int64(MonotonicTime.now().rawValue)
        let header = WireHeader(service: service, pid: Posix.pid, epochUnixNanoseconds: epoch, actions: configuration.actions)
        // Groups opened from now on register their children where a viewer's cancel finds them.
        if configuration.actions { ActionTargets.enable() }
        let loop: MonitorLoop
        let thread: pthread_t
        do {
            loop = try MonitorLoop(listener: listener, header: header, configuration: configuration,
                                   recorder: recorderOutput, reporter: reporter)
        } catch {
            recorderOutput?.close()
            listener.remove()
            throw MonitorError(error, path: path)
        }
        do {
            thread = try Posix.startThread(name: "safegroup-mon") { loop.run() }
        } catch {
            loop.closeUnstarted()  // the loop's copy holds the recording's crash-handler slot
            listener.remove()
            throw MonitorError(error, path: path)
        }
        let monitor = SafeGroupMonitor(service: service, socketPath: path, loop: loop,
                                       recorder: recorderOutput?.recorder, thread: thread)
        if installAsDefault {
            current.withLock { $0 = monitor }
            EventSystem.bootstrap(monitor)
        }
        return monitor
    }

    /// Takes one event; never blocks beyond a short uncontended lock.
    public func emit(_ event: consuming Event) {
        buffer.push(event)
    }

    /// The black box's file, when the black box is on (``MonitorConfiguration/blackBoxBytes``,
    /// `SAFEGROUP_BLACKBOX`); a clean ``shutdown()`` removes it.
    public var blackBoxPath: String? { loop.blackBox?.path }

    /// The running totals.
    public var statistics: MonitorStatistics {
        let totals = buffer.totals
        let c = loop.counters
        return MonitorStatistics(
            produced: totals.produced, delivered: c.delivered.load, dropped: totals.dropped,
            viewers: c.viewers.load(ordering: .relaxed), viewersAccepted: c.accepted.load,
            peersRefused: c.peersRefused.load, viewersRefused: c.viewersRefused.load,
            viewersStalled: c.viewersStalled.load, viewerLinesDropped: c.viewerLinesDropped.load)
    }

    /// Stops the monitor: the thread delivers what is waiting, closes every viewer and the
    /// recorder, and removes the socket and its lock file. The default sink is uninstalled if
    /// it is this monitor. Events emitted afterwards are counted as dropped. Idempotent.
    public func shutdown() {
        guard let thread = self.thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) else { return }
        if let sink = EventSystem.sink as? SafeGroupMonitor, sink === self { EventSystem.reset() }
        Self.current.withLock { if $0 === self { $0 = nil } }
        loop.stop()
        Posix.join(thread)
    }

    deinit { shutdown() }
}
