import GroupEvents
import SafeGroup
import Synchronization

/// What ``DemoControl`` can put into a running child.
public enum InjectionKind: String, Hashable, Sendable, CaseIterable {
    /// The child throws ``InjectedError`` (wrapped in `TracedError`) at its next await point.
    case error
    /// The child stops answering at its next await point, so its group's timeout fires.
    case timeout
    /// The child traps in-process at its next await point (it force-unwraps a field that a
    /// response lacks): the whole process dies, as it would of that bug. Only `demo-service
    /// --trap-in-process-after` asks for it, to show the monitor's last gasp.
    case trap
}

/// The child an injection was put into.
public struct InjectionTarget: Hashable, Sendable {
    /// The child's task id; nil when its group has no event sink (ids are tracked only then).
    public let task: TaskID?
    public let name: String
    public let kind: InjectionKind
}

/// The demo's running children, each with a mailbox that an injection can be put into.
///
/// A child registers while it runs (``track(_:_:)``) and polls its mailbox at every await
/// point (``InjectionPoint/check()``), so an injection is carried out by the child's own code.
final class InjectionBoard: Sendable {
    /// One running child's mailbox.
    final class Ticket: Sendable {
        let key: UInt64
        let task: TaskID?
        let name: String
        /// 0: nothing pending; otherwise 1 + the index of an ``InjectionKind``.
        private let pending = Atomic<UInt8>(0)

        init(key: UInt64, task: TaskID?, name: String) {
            self.key = key; self.task = task; self.name = name
        }

        /// Puts `kind` in the mailbox unless something is already pending there.
        func offer(_ kind: InjectionKind) -> Bool {
            let code = UInt8(InjectionKind.allCases.firstIndex(of: kind)! + 1)
            return pending.compareExchange(expected: 0, desired: code, ordering: .relaxed).exchanged
        }

        /// Takes what is pending, if anything.
        func take() -> InjectionKind? {
            let code = pending.exchange(0, ordering: .relaxed)
            return code == 0 ? nil : InjectionKind.allCases[Int(code) - 1]
        }
    }

    private struct State: ~Copyable {
        var running: [UInt64: Ticket] = [:]
        var nextKey: UInt64 = 0
        var random: SeededGenerator
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        state = Mutex(State(random: SeededGenerator(seed: seed)))
    }

    /// How many tracked children are running.
    var count: Int { state.withLock { $0.running.count } }

    /// Runs a child's work with a mailbox. An injection that arrives after the work's last await
    /// point is carried out at its end, so the child chosen is the child that faults.
    func track<T: Sendable>(_ name: String, isolation: isolated (any Actor)? = #isolation,
                            _ work: () async throws -> T) async throws -> T {
        let ticket = state.withLock { state in
            state.nextKey += 1
            let ticket = Ticket(key: state.nextKey, task: SafeGroupTask.current, name: name)
            state.running[ticket.key] = ticket
            return ticket
        }
        do {
            let value = try await InjectionPoint.$ticket.withValue(ticket) { try await work() }
            remove(ticket)
            if !Task.isCancelled { try await InjectionPoint.carryOut(ticket) }
            return value
        } catch {
            remove(ticket)
            throw error
        }
    }

    /// Puts `kind` into a running child chosen at random; nil when none can take it.
    func inject(_ kind: InjectionKind) -> InjectionTarget? {
        state.withLock { state -> InjectionTarget? in
            // Sorted so that, for a given set of running children, the seed decides the choice.
            var candidates = state.running.keys.sorted()
            while !candidates.isEmpty {
                let index = Int.random(in: candidates.indices, using: &state.random)
                let ticket = state.running[candidates[index]]!
                if ticket.offer(kind) { return InjectionTarget(task: ticket.task, name: ticket.name, kind: kind) }
                candidates.remove(at: index)
            }
            return nil
        }
    }

    private func remove(_ ticket: Ticket) {
        _ = state.withLock { $0.running.removeValue(forKey: ticket.key) }
    }
}

/// Where a running child looks for injections: at each of its await points.
enum InjectionPoint {
    @TaskLocal static var ticket: InjectionBoard.Ticket?

    /// Carries out an injection waiting for the current child, if any.
    static func check() async throws {
        if let ticket { try await carryOut(ticket) }
    }

    // Not inlined, so that the injected error's stack shows where it was carried out.
    @inline(never)
    static func carryOut(_ ticket: InjectionBoard.Ticket) async throws {
        switch ticket.take() {
        case nil:
            return
        case .error:
            throw TracedError(InjectedError(child: ticket.name))
        case .timeout:
            // Stop answering, like a backend that hangs; the group's timeout cancels us.
            try await Task.sleep(for: SimulatedTransport.forever)
        case .trap:
            let response = try KeyValuePayload.decode(KeyValuePayload.encode(["status": "ok"]))
            _ = amount(in: response)
        }
    }

    /// The bug a trap injection stands for: a step that assumes every response carries an
    /// `amount` and force-unwraps it. This response has none, so the process traps here.
    @inline(never)
    static func amount(in response: KeyValuePayload) -> Int {
        Int(response["amount"]!)!
    }
}
