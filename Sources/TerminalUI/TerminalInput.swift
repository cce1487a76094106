import Dashboard

/// What the terminal delivered.
public enum TerminalInput: Hashable, Sendable {
    case key(Key)
    /// The terminal was resized to this size.
    case resize(TerminalSize)
    /// SIGINT or SIGTERM arrived, or the terminal hung up (SIGHUP): restore the terminal and
    /// exit (conventionally 128 + signal).
    case signal(Int32)
}
