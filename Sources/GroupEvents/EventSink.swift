import Synchronization

/// Where a group's events go.
///
/// A sink is called from the child tasks themselves, on their path, so ``emit(_:)`` must be
/// quick and must never block or suspend: copy the event into a bounded buffer and return.
/// A sink that has to drop events counts them and reports them in-band (``Dropped``).
public protocol EventSink: Sendable {
    /// Receives one event. Called concurrently from many tasks.
    ///
    /// The event is handed over (`consuming`): a sink that keeps it moves it into its buffer
    /// instead of copying it. A sink may still declare `func emit(_ event: Event)`, which
    /// borrows it; that satisfies this requirement too.
    func emit(_ event: consuming Event)
}

/// The process-wide default ``EventSink``, like `LoggingSystem` for loggers.
///
/// A service installs its sink once at startup (the monitor does this for you). A group
/// resolves its sink when it opens: the one passed to it, else the one inherited from the
/// group it is nested in, else this default. With no sink anywhere, a group builds no events.
public enum EventSystem {
    private static let installed = Mutex<(any EventSink)?>(nil)

    /// Installs `sink` as the process-wide default. The last call wins; groups already open
    /// keep the sink they resolved when they opened.
    public static func bootstrap(_ sink: any EventSink) {
        installed.withLock { $0 = sink }
    }

    /// Removes the process-wide default: groups opened afterwards emit nothing unless given a sink.
    public static func reset() {
        installed.withLock { $0 = nil }
    }

    /// The process-wide default, if one is installed.
    public static var sink: (any EventSink)? {
        installed.withLock { $0 }
    }
}
