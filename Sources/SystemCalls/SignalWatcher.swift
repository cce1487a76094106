import Dispatch
import Glibc

/// Turns signals (SIGINT and SIGTERM by default) into events, so a program can stop cleanly:
/// finish its last whole line, close its file, print its summary, shut its groups down.
///
/// The signals are set to ignored and watched with dispatch sources, so no handler runs
/// inside an arbitrary system call and nothing but the watcher sees them. Only executables
/// use it: libraries must not change the host's signal dispositions. `@unchecked Sendable`:
/// the sources are set once in `init` and only cancelled afterwards.
package final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    /// Starts watching `signals`; `handler`, when given, gets the signal number each time one
    /// arrives, on `queue`. Without a handler, ``next()`` awaits them.
    package init(signals: [Int32] = [SIGINT, SIGTERM], queue: DispatchQueue = .global(),
                 handler: (@Sendable (Int32) -> Void)? = nil) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            Posix.ignore(signal: number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                continuation.yield(number)
                handler?(number)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Returns the first signal when it arrives; nil when the waiting task is cancelled first.
    @discardableResult
    package func next() async -> Int32? {
        for await signal in stream { return signal }
        return nil
    }

    /// Stops watching; the signals' default actions are back.
    package func stop() {
        for source in sources {
            source.cancel()
            Glibc.signal(Int32(source.handle), SIG_DFL)
        }
    }

    deinit { for source in sources { source.cancel() } }
}
