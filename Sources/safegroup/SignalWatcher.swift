import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Turns SIGINT and SIGTERM into an awaitable event, so a command can stop cleanly: finish
/// its last whole line, close its file, print its summary.
///
/// The signals are set to ignored and watched with dispatch sources, so no handler runs
/// inside an arbitrary system call and nothing but the watcher sees them. `@unchecked Sendable`:
/// the sources are set once in `init` and only cancelled in `deinit`.
final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            Posix.ignore(signal: number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Returns the first signal when it arrives; nil when the waiting task is cancelled first.
    @discardableResult
    func next() async -> Int32? {
        for await signal in stream { return signal }
        return nil
    }

    deinit { for source in sources { source.cancel() } }
}
