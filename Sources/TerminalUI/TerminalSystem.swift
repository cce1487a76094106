import Glibc
import CNcurses

/// Every system call TerminalUI makes (outside curses itself), in one place.
enum TerminalSystem {
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Whether the terminal on `fd` has gone away (its emulator or tmux closed it): reads would
    /// fail at once, forever, so a loop that waits on input would spin.
    static func isHungUp(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&entry, 1, 0)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return true }
            return entry.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
        }
    }

    /// The terminal's mode on `fd` (tcgetattr), to put back however the session ends.
    static func mode(of fd: Int32) throws(TerminalError) -> termios {
        var mode = termios()
        guard tcgetattr(fd, &mode) == 0 else { throw .system(call: "tcgetattr", errno: errno) }
        return mode
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Sets the locale from the environment, falling back to C.UTF-8 (then en_US.UTF-8) when
    /// the environment's codeset is not UTF-8: curses draws wide characters only under a
    /// UTF-8 locale. Returns whether the locale in force is UTF-8.
    static func selectUTF8Locale() -> Bool {
        _ = setlocale(LC_ALL, "")
        if isUTF8Codeset { return true }
        for fallback in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] where setlocale(LC_ALL, fallback) != nil {
            if isUTF8Codeset { return true }
        }
        return false
    }

    private static var isUTF8Codeset: Bool {
        guard let codeset = cn_codeset() else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }

    /// Installs `handler` for `signal` and returns the previous disposition, to restore later.
    static func install(_ handler: @convention(c) (Int32) -> Void, for signal: Int32) throws(TerminalError) -> sigaction {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        // No SA_RESTART: a signal should interrupt curses' wait for input, so the loop sees it at once.
        action.sa_flags = 0
        var previous = sigaction()
        guard sigaction(signal, &action, &previous) == 0 else { throw .system(call: "sigaction", errno: errno) }
        return previous
    }

    static func restore(_ previous: sigaction, for signal: Int32) {
        var previous = previous
        _ = sigaction(signal, &previous, nil)
    }
}
