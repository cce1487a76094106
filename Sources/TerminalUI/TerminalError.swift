/// Why a terminal session could not start.
public enum TerminalError: Error, Equatable, CustomStringConvertible {
    /// Standard input or output is not a terminal (a pipe, a file, a CI log).
    case notATerminal
    /// curses could not set up the terminal (`TERM` unset or unknown).
    case cannotInitialize(term: String?)
    /// The terminal cannot move the cursor (`TERM=dumb`, a printing terminal): a screen drawn on
    /// it would scroll into a mess.
    case cannotAddressCursor(term: String?)
    /// A system call failed.
    case system(call: String, errno: Int32)

    public var description: String {
        switch self {
        case .notATerminal:
            "safegroup: the dashboard needs a terminal on standard input and output; "
                + "to read events as text, use `safegroup dump`"
        case .cannotInitialize(let term):
            "safegroup: cannot set up the terminal (TERM=\(term ?? "unset")); to read events as text, use `safegroup dump`"
        case .cannotAddressCursor(let term):
            "safegroup: this terminal (TERM=\(term ?? "unset")) cannot move the cursor, which the dashboard needs; to read events as text, use `safegroup dump`"
        case .system(let call, let errno):
            "safegroup: \(call) failed (errno \(errno))"
        }
    }
}
