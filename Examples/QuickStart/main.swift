// A checkout handler that fans out to five backends under a limit, with SafeGroup.
// Run: swift run safegroup-example
//
// It shows what a plain TaskGroup would lose: every failure, with who failed, where it was
// spawned, how, and a stack; the timeout of a backend that hangs; and the events the group
// emits (here into an in-memory sink; a service installs the monitor instead).

// No `import GroupEvents`: SafeGroup re-exports the event model.
import GroupEventsTesting
import SafeGroup

enum BackendError: Error, CustomStringConvertible {
    case unavailable(String)
    case declined(code: Int)
    var description: String {
        switch self {
        case .unavailable(let name): "\(name) is unavailable (503)"
        case .declined(let code): "card declined (code \(code))"
        }
    }
}

struct Backend: Sendable {
    let name: String
    let latency: Duration
    let failure: BackendError?
    let hangs: Bool

    func call() async throws -> String {
        if hangs { try await Task.sleep(for: .seconds(3600)) }
        try await Task.sleep(for: latency)
        if case .declined = failure { try authorize() }
        if let failure { throw failure }
        return "\(name): ok"
    }

    /// Payment errors carry the stack of where they were made, so the fault shows it.
    @inline(never)
    func authorize() throws {
        throw TracedError(BackendError.declined(code: 51))
    }
}

let backends = [
    Backend(name: "inventory", latency: .milliseconds(20), failure: nil, hangs: false),
    Backend(name: "pricing", latency: .milliseconds(30), failure: nil, hangs: false),
    Backend(name: "payment", latency: .milliseconds(10), failure: .declined(code: 51), hangs: false),
    Backend(name: "shipping", latency: .milliseconds(40), failure: .unavailable("shipping"), hangs: false),
    Backend(name: "fraud-check", latency: .zero, failure: nil, hangs: true),
]

let events = InMemoryEventSink()
let report = await withSafeGroup(of: String.self, name: "checkout", policy: .collectAll, limit: 3,
                                 timeout: .milliseconds(200), sink: events) { group in
    for backend in backends {
        await group.spawn(backend.name) { try await backend.call() }
    }
}

print("checkout: \(report.childCount) children, outcome \(report.outcome.rawValue)")
for result in report.results {
    print("  ok     \(result.value)")
}
for fault in report.faults {
    print("  fault  \(fault)")
    for frame in fault.stack.prefix(4) {
        let location = frame.file.map { " at \($0):\(frame.line)" } ?? ""
        print("           \(frame.symbol)\(location)")
    }
}
print("events emitted: \(events.events.count)")
do {
    try report.throwIfFaulted()
} catch {
    print("as one error:\n\(error)")
}
