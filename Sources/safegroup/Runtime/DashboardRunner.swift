import Dashboard
import GroupEvents
import TerminalUI
import Glibc

/// The dashboard's run loop, the same for `attach`, `replay` and `demo`: thin on purpose.
///
/// On each wake it takes what the source has (one `.records` batch per run of records), ticks
/// the clock, draws, and waits up to 100 ms for a key, a resize or a signal. The wait is the
/// only place it sleeps, so an idle dashboard wakes ten times a second and no more. Effects
/// of the reducer are carried out here, outside it: `.quit` ends the loop, the others go to
/// the source.
enum DashboardRunner {
    /// How the loop ended.
    enum Outcome: Equatable {
        /// `q`: exit 0.
        case quit
        /// SIGINT or SIGTERM: exit 128 + the signal, as a shell would report it.
        case signal(Int32)
    }

    /// How long a wake waits for input: short enough for live durations and new events to
    /// show promptly, long enough that an idle dashboard costs next to nothing.
    static let wakeMilliseconds = 100

    /// A test hook, documented in docs/CLI.md: with this variable set, the dashboard traps
    /// (a Swift `fatalError`, SIGILL) right after drawing its first frame, so that an end-to-end
    /// test can check that a trap leaves the terminal restored. Nothing else reads it.
    static let trapHook = "SAFEGROUP_TEST_TRAP_AFTER_DRAW"
    private static let trapsForTests = getenv(trapHook) != nil

    /// Runs the dashboard until `q`, a signal, or a failure of the source; the terminal is
    /// restored before this returns or throws.
    ///
    /// Curses is not thread-safe, and the loop blocks in its wait for input: it runs on the
    /// main actor (the main thread), so it never holds a thread of the cooperative pool that
    /// the sources' tasks (the client, the loader, the demo) need.
    @MainActor
    static func run(_ source: inout some DashboardSource, colors: Bool = true, limits: DashboardLimits = .default) throws -> Outcome {
        defer { source.finish() }
        do {
            return try TerminalSession.run(colors: colors) { terminal in
                var state = DashboardState(mode: source.mode, size: terminal.size, limits: limits)
                // Drawing re-encodes every cell into curses; an idle dashboard's screen changes
                // about once a second (the uptime), so a frame equal to the last is not drawn.
                var drawn: Screen?
                while true {
                    var effects: [DashboardEffect] = []
                    source.poll { message in effects += state.update(message) }
                    if let outcome = execute(effects, on: &source, state: &state) { return outcome }
                    if let failure = source.failure { throw failure }
                    state.update(.tick(viewerNanoseconds: MonotonicTime.now().rawValue))
                    let screen = render(state, size: terminal.size)
                    if screen != drawn {
                        terminal.draw(screen)
                        drawn = screen
                    }
                    if trapsForTests { fatalError("\(trapHook) is set: trapping after the first frame, as a test asked") }
                    // A source with work left (a replay feeding a long move) is polled again at
                    // once; keys read between its slices pre-empt it (q, Ctrl-C, another move).
                    switch terminal.readInput(timeoutMilliseconds: source.isBusy ? 0 : wakeMilliseconds) {
                    case .key(let key):
                        if let outcome = execute(state.update(.key(key)), on: &source, state: &state) { return outcome }
                    case .resize(let size):
                        state.update(.resize(size))
                    case .signal(let signal):
                        return .signal(signal)
                    case nil:
                        break
                    }
                }
            }
        } catch let error as TerminalError {
            throw CommandFailure(String(error.description.dropFirst("safegroup: ".count)))
        }
    }

    /// Carries out `effects`; the source's answers go back to the reducer, whose own effects
    /// are carried out in turn. Returns an outcome when one of them ends the loop.
    private static func execute(_ effects: [DashboardEffect], on source: inout some DashboardSource,
                                state: inout DashboardState) -> Outcome? {
        var pending = effects
        while !pending.isEmpty {
            let effect = pending.removeFirst()
            if effect == .quit { return .quit }
            source.perform(effect) { message in pending += state.update(message) }
        }
        return nil
    }

    /// Runs the dashboard and ends the command the way the loop ended: exit 0 on `q`,
    /// 128 + the signal on SIGINT or SIGTERM.
    @MainActor
    static func runToExit(_ source: inout some DashboardSource, colors: Bool = true, limits: DashboardLimits = .default) throws -> Int32 {
        switch try run(&source, colors: colors, limits: limits) {
        case .quit: 0
        case .signal(let signal): 128 + signal
        }
    }
}
