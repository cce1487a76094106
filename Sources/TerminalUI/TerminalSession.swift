import Glibc
import CNcurses
import Dashboard

/// The terminal, in curses mode, for as long as the session is open: the guard that
/// restores it.
///
/// Opening checks that standard input and output are terminals, picks a UTF-8 locale
/// (falling back to C.UTF-8) before curses starts, honours `NO_COLOR`, and puts the terminal
/// in cbreak mode without echo, with the keypad decoded and the cursor hidden. SIGINT and
/// SIGTERM are caught and reported as ``TerminalInput/signal(_:)``. Closing restores the
/// terminal and the previous signal handlers; ``run(_:)`` closes on every way out of its body,
/// a thrown error included. A trap, a fault or another fatal signal, which never return to
/// the caller, restore the terminal through ``TerminalRescue``.
///
/// ```swift
/// try TerminalSession.run { terminal in
///     var state = DashboardState(mode: .live, size: terminal.size)
///     while true {
///         terminal.draw(render(state, size: terminal.size))
///         switch terminal.readInput(timeoutMilliseconds: 100) { … }
///     }
/// }
/// ```
///
/// Curses is not thread-safe: use a session from one thread.
public final class TerminalSession {
    private let screen: OpaquePointer
    private let palette: ColorPalette
    private let signals: SignalTrap
    /// False when no UTF-8 locale could be set: non-ASCII cells are then drawn as `?`.
    public let isUTF8: Bool
    private var isOpen = true

    /// Opens a session; throws ``TerminalError/notATerminal`` when stdin or stdout is not a
    /// terminal, ``TerminalError/cannotAddressCursor(term:)`` when it cannot move the cursor.
    ///
    /// - Parameter colors: false to draw without colours (`--no-color`); `NO_COLOR` turns them off too.
    public init(colors: Bool = true) throws(TerminalError) {
        guard TerminalSystem.isTerminal(STDIN_FILENO), TerminalSystem.isTerminal(STDOUT_FILENO) else {
            throw .notATerminal
        }
        // Refused before curses writes anything: on such a terminal the screen would be a mess.
        if cn_terminal_addresses_cursor(STDOUT_FILENO) == 0 {
            throw .cannotAddressCursor(term: TerminalSystem.environment("TERM"))
        }
        isUTF8 = TerminalSystem.selectUTF8Locale()
        // The mode to put back if the process dies without closing: read before curses changes it.
        let shellMode = try TerminalSystem.mode(of: STDIN_FILENO)
        // newterm, unlike initscr, returns NULL instead of exiting the process on failure.
        guard let screen = newterm(nil, cn_stdout(), cn_stdin()) else {
            throw .cannotInitialize(term: TerminalSystem.environment("TERM"))
        }
        self.screen = screen
        _ = set_term(screen)
        do throws(TerminalError) {
            signals = try SignalTrap()
            do throws(TerminalError) {
                try TerminalRescue.arm(fd: STDOUT_FILENO, mode: shellMode)
            } catch {
                signals.restore()
                throw error
            }
        } catch {
            endwin()
            delscreen(screen)
            throw error
        }
        // cbreak, not raw: the terminal's own Ctrl-C and Ctrl-Z keep working (as signals).
        cbreak()
        noecho()
        nonl()
        _ = intrflush(cn_stdscr(), false)
        _ = keypad(cn_stdscr(), true)
        _ = curs_set(0)
        // Esc must be felt at once, not after the default second spent waiting for a sequence.
        _ = set_escdelay(25)
        let noColor = TerminalSystem.environment("NO_COLOR").map { !$0.isEmpty } ?? false
        palette = ColorPalette(colors: colors && !noColor)
    }

    deinit { close() }

    /// Restores the terminal and the previous signal handlers. Safe to call more than once.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        _ = curs_set(1)
        endwin()
        delscreen(screen)
        TerminalRescue.disarm()
        signals.restore()
    }

    /// Opens a session, runs `body`, and closes the session however `body` ends.
    public static func run<Result>(colors: Bool = true, _ body: (TerminalSession) throws -> Result) throws -> Result {
        let session = try TerminalSession(colors: colors)
        defer { session.close() }
        return try body(session)
    }

    /// The terminal's current size.
    public var size: TerminalSize {
        var rows: Int32 = 0
        var columns: Int32 = 0
        cn_getmaxyx(cn_stdscr(), &rows, &columns)
        return TerminalSize(columns: Int(columns), rows: Int(rows))
    }

    /// Copies a frame to the terminal; curses sends only the cells that changed.
    public func draw(_ frame: Screen) {
        guard isOpen else { return }
        let size = self.size
        let rows = min(frame.height, size.rows)
        let columns = min(frame.width, size.columns)
        var text = [wchar_t](repeating: 0, count: Int(cn_ccharw_max()) + 1)
        for y in 0..<rows {
            for x in 0..<columns {
                let cell = frame[x, y]
                if cell.isContinuation { continue }
                encode(cell.character, into: &text)
                // The bottom-right cell makes curses try to scroll and return ERR; it is drawn anyway.
                _ = cn_put_cell(Int32(y), Int32(x), text, palette.attributes(for: cell.style), palette.pair(for: cell.style.role))
            }
        }
        refresh()
    }

    /// Waits up to `timeoutMilliseconds` for a key, a resize or a signal; nil when none came.
    public func readInput(timeoutMilliseconds: Int) -> TerminalInput? {
        if let signal = signals.pending { return .signal(signal) }
        timeout(Int32(clamping: timeoutMilliseconds))
        var value: wint_t = 0
        let result = cn_get_wch(&value)
        if let signal = signals.pending { return .signal(signal) }
        if result == cn_key_code_yes() {
            if Int32(value) == cn_key_resize() { return .resize(size) }
            return KeyDecoder.functionKey(Int32(value)).map(TerminalInput.key)
        }
        if result == cn_ok() { return KeyDecoder.character(UInt32(value)).map(TerminalInput.key) }
        // No key: the timeout passed, or the terminal is gone and no key will ever come.
        if TerminalSystem.isHungUp(STDIN_FILENO) { return .signal(SIGHUP) }
        return nil
    }

    /// Fills `buffer` with the cell's spacing character and the combining marks that follow
    /// it (as many as curses holds), NUL-terminated. Other scalars of a cluster (the parts
    /// of a ZWJ emoji sequence) are left out: terminals disagree on how to draw them, and the
    /// first one alone keeps the width the layout counted.
    private func encode(_ character: Character, into buffer: inout [wchar_t]) {
        let capacity = buffer.count - 1
        var count = 0
        for scalar in character.unicodeScalars {
            if count == 0 {
                buffer[0] = wchar_t(isUTF8 || scalar.isASCII ? scalar.value : 0x3F)
                count = 1
            } else if isUTF8, count < capacity, Self.isCombining(scalar) {
                buffer[count] = wchar_t(scalar.value)
                count += 1
            } else if !Self.isCombining(scalar) {
                break
            }
        }
        buffer[count] = 0
    }

    private static func isCombining(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .spacingMark: true
        default: scalar.value == 0xFE0F || scalar.value == 0xFE0E
        }
    }
}
