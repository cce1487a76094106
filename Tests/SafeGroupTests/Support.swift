import GroupEvents
import GroupEventsTesting
import SafeGroup
import Synchronization

struct TestError: Error, Equatable, CustomStringConvertible {
    let code: Int
    var description: String { "test error \(code)" }
}

/// Sleeps without reacting to cancellation: a child that ignores cancellation.
func sleepIgnoringCancellation(_ duration: Duration) async {
    await Task.detached { try? await Task.sleep(for: duration) }.value
}

/// Counts the children running at once and remembers the most.
final class ConcurrencyGauge: Sendable {
    private let state = Mutex((now: 0, most: 0))
    func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var now: Int { state.withLock { $0.now } }
    var most: Int { state.withLock { $0.most } }
}
