import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Calls a handler, on a Dispatch queue, when the process receives one of some signals.
///
/// The signals' default action (terminate) is replaced by "ignore" while the watch is on, so
/// that they are only seen through Dispatch and the service can shut down cleanly. This lives
/// in the executable: libraries must not change the host's signal dispositions.
final class SignalWatch {
    private let sources: [any DispatchSourceSignal]

    /// Starts watching `signals`; `handler` gets the signal number each time one arrives.
    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "demo-service.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    /// Stops watching; the signals' default actions are back.
    func stop() {
        for source in sources {
            source.cancel()
            signal(Int32(source.handle), SIG_DFL)
        }
    }
}
