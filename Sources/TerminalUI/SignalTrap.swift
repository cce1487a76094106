import Glibc
import Synchronization

/// Catches SIGINT, SIGTERM and SIGHUP (the terminal closed) while a session is open, so the run loop can restore the
/// terminal before it exits; puts the previous handlers back when the session closes.
///
/// The handler only stores the signal number (an atomic store is async-signal-safe; curses
/// calls are not), and the interrupted `get_wch` returns, so ``TerminalSession/readInput(timeoutMilliseconds:)``
/// reports it at once.
final class SignalTrap {
    static let caught = Atomic<Int32>(0)
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private var previous: [(Int32, sigaction)] = []

    init() throws(TerminalError) {
        Self.caught.store(0, ordering: .relaxed)
        for signal in Self.signals {
            do {
                previous.append((signal, try TerminalSystem.install({ SignalTrap.caught.store($0, ordering: .relaxed) }, for: signal)))
            } catch {
                restore()
                throw error
            }
        }
    }

    /// The signal caught since the session opened, if any.
    var pending: Int32? {
        let signal = Self.caught.load(ordering: .relaxed)
        return signal == 0 ? nil : signal
    }

    func restore() {
        for (signal, action) in previous.reversed() { TerminalSystem.restore(action, for: signal) }
        previous.removeAll()
    }
}
