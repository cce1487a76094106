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

extension InMemoryEventSink {
    var spawned: [TaskSpawned] { events { if case .taskSpawned(let e) = $0 { e } else { nil } } }
    var started: [TaskStarted] { events { if case .taskStarted(let e) = $0 { e } else { nil } } }
    var ended: [TaskEnded] { events { if case .taskEnded(let e) = $0 { e } else { nil } } }
    var faults: [FaultInfo] { events { if case .faultRecorded(let e) = $0 { e } else { nil } } }
    var opened: [GroupOpened] { events { if case .groupOpened(let e) = $0 { e } else { nil } } }
    var closed: [GroupClosed] { events { if case .groupClosed(let e) = $0 { e } else { nil } } }
    var slow: [SlowToCancel] { events { if case .slowToCancel(let e) = $0 { e } else { nil } } }
}
