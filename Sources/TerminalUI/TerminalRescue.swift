import CNcurses
import CSafeGroupSystem
import Glibc

/// Restores the terminal whatever kills the process while a session is open, short of SIGKILL.
///
/// ``SignalTrap`` turns SIGINT, SIGTERM and SIGHUP into input, and the run loop restores the
/// terminal through curses. A trap (a Swift runtime error: SIGILL), a fault, `abort()`, or a
/// signal whose default action terminates (SIGQUIT from Ctrl-\, SIGUSR1, …) never returns to
/// the loop; without this, the shell gets the terminal back without echo or line editing, on
/// the alternate screen (a shell restores the mode only for its own child, not under `time`
/// or a script). The handler is C (CSystem's `TerminalRescue.c`): it writes the reset
/// sequences read here from terminfo, puts back the mode saved before curses started, and
/// hands the signal on to the handler before it, so Swift's backtrace prints on a sane terminal.
enum TerminalRescue {
    /// terminfo's sequences that undo what curses set: attributes, cursor, keypad, alternate screen.
    private static let capabilities = ["sgr0", "cnorm", "rmkx", "rmcup"]

    /// Arms the rescue for the terminal on `fd`, to put `mode` back. Call once curses has read
    /// terminfo (after `newterm`).
    static func arm(fd: Int32, mode: termios) throws(TerminalError) {
        var reset: [CChar] = []
        for name in capabilities {
            // NULL: absent; (char *)-1: not a string capability.
            guard let value = tigetstr(name), Int(bitPattern: value) != -1 else { continue }
            var pointer = value
            while pointer.pointee != 0 {
                reset.append(pointer.pointee)
                pointer += 1
            }
        }
        var mode = mode
        guard csystem_terminal_rescue_arm(fd, &mode, reset, reset.count) == 0 else {
            let error = errno
            csystem_terminal_rescue_disarm()
            throw .system(call: "sigaction", errno: error)
        }
    }

    static func disarm() { csystem_terminal_rescue_disarm() }
}
