@testable import Dashboard
import GroupEvents

/// Builds a deterministic event stream for the tests: fixed timestamps in milliseconds,
/// `seq` counting up unless a test sets it (a snapshot's gaps).
struct StreamBuilder {
    var seq: UInt64 = 0
    var records: [WireRecord] = []

    static func ms(_ milliseconds: UInt64) -> MonotonicTime { MonotonicTime(nanoseconds: milliseconds * 1_000_000) }

    mutating func header(service: String = "checkout", pid: Int32 = 4242) {
        records.append(.header(WireHeader(service: service, pid: pid, epochUnixNanoseconds: 1_767_225_600_000_000_000)))
        seq = 0
    }

    mutating func event(at milliseconds: UInt64, _ kind: Event.Kind, seq explicit: UInt64? = nil) {
        seq = explicit ?? seq + 1
        records.append(.event(seq: seq, Event(time: Self.ms(milliseconds), kind)))
    }

    mutating func open(_ group: UInt64, _ name: String, at t: UInt64, parentTask: UInt64? = nil, parentGroup: UInt64? = nil,
                       policy: FailurePolicy = .collectAll, limit: Int? = nil, line: UInt32 = 42, seq: UInt64? = nil) {
        event(at: t, .groupOpened(GroupOpened(
            group: GroupID(group), name: name, parentTask: parentTask.map { TaskID($0) }, parentGroup: parentGroup.map { GroupID($0) },
            site: SourceSite(file: "Checkout/Handler.swift", line: line), policy: policy, limit: limit)), seq: seq)
    }

    mutating func spawn(_ task: UInt64, in group: UInt64, _ name: String, at t: UInt64, line: UInt32 = 57,
                        isolated: Bool = false, seq: UInt64? = nil) {
        event(at: t, .taskSpawned(TaskSpawned(task: TaskID(task), group: GroupID(group), name: name,
                                              site: SourceSite(file: "Checkout/Handler.swift", line: line), isolated: isolated)), seq: seq)
    }

    mutating func start(_ task: UInt64, in group: UInt64, at t: UInt64, waited: UInt64 = 0, seq: UInt64? = nil) {
        event(at: t, .taskStarted(TaskStarted(task: TaskID(task), group: GroupID(group), waitedNanoseconds: waited)), seq: seq)
    }

    mutating func end(_ task: UInt64, in group: UInt64, _ status: TaskStatus, at t: UInt64, duration: UInt64) {
        event(at: t, .taskEnded(TaskEnded(task: TaskID(task), group: GroupID(group), status: status,
                                          durationNanoseconds: duration * 1_000_000)))
    }

    mutating func fault(_ task: UInt64, _ taskName: String, in group: UInt64, _ groupName: String, kind: FaultKind = .error,
                        errorType: String = "Checkout.PaymentError", message: String = "card declined",
                        started: UInt64, at t: UInt64, stack: [StackFrame] = Self.stack, origin: String = "recorded",
                        line: UInt32 = 57, seq: UInt64? = nil) {
        event(at: t, .faultRecorded(FaultInfo(
            task: TaskID(task), taskName: taskName, group: GroupID(group), groupName: groupName,
            site: SourceSite(file: "Checkout/Handler.swift", line: line), kind: kind, errorType: errorType, message: message,
            startedAt: Self.ms(started), endedAt: Self.ms(t), stackOrigin: StackOrigin(rawValue: origin), stack: stack)), seq: seq)
    }

    mutating func close(_ group: UInt64, _ outcome: GroupClosed.Outcome, at t: UInt64, faults: Int = 0, children: Int,
                        cancellation: CancellationCause? = nil) {
        event(at: t, .groupClosed(GroupClosed(group: GroupID(group), outcome: outcome, faultCount: faults,
                                              childCount: children, cancellation: cancellation)))
    }

    mutating func dropped(_ count: UInt64, faults: UInt64 = 0, at t: UInt64) {
        event(at: t, .dropped(Dropped(count: count, faults: faults)))
    }

    mutating func heartbeat(at t: UInt64, produced: UInt64 = 0) {
        event(at: t, .heartbeat(Heartbeat(produced: produced, dropped: 0, viewers: 1)))
    }

    static let stack = [
        StackFrame(symbol: "Checkout.PaymentClient.charge(card:amount:)", file: "Checkout/PaymentClient.swift", line: 88),
        StackFrame(symbol: "Checkout.Handler.chargeCard(_:)", file: "Checkout/Handler.swift", line: 61),
        StackFrame(symbol: "0x00007f3a1c2b4e10"),
    ]
}

extension DashboardState {
    /// Feeds records one message each, then a tick at `viewerSeconds` (without one, the rows
    /// are refreshed as a frame would be drawn: records alone leave them stale).
    mutating func feed(_ builder: StreamBuilder, tickAt viewerSeconds: UInt64? = nil) {
        for record in builder.records { update(.record(record)) }
        if let viewerSeconds { update(.tick(viewerNanoseconds: viewerSeconds * 1_000_000_000)) } else { refreshRows() }
    }

    /// Presses keys in order, returning every effect they asked for.
    @discardableResult
    mutating func press(_ keys: Key...) -> [DashboardEffect] {
        keys.flatMap { update(.key($0)) }
    }

    mutating func type(_ text: String) {
        for character in text { update(.key(.character(character))) }
    }

    /// The tree pane's rows as short labels: `g3`, `  t42`, for compact expectations.
    var rowLabels: [String] {
        treeRows.map { row in
            let indent = String(repeating: " ", count: row.depth)
            switch row.ref {
            case .group(let id): return indent + id.description
            case .task(let id): return indent + id.description
            case .history(let number): return "h\(number)"
            }
        }
    }
}

/// The scenario of the snapshots: a checkout request with a failed charge (and its stack),
/// a cancelled sibling, a nested group, a nightly sync with a timeout, CJK and emoji names,
/// and 17 dropped events.
func checkoutScenario() -> StreamBuilder {
    var s = StreamBuilder()
    s.header()
    s.open(1, "checkout-request", at: 1_000, policy: .cancelOnFirstFault, limit: 8)
    s.spawn(11, in: 1, "reserve-stock", at: 1_001, line: 51)
    s.spawn(12, in: 1, "charge-card", at: 1_001, line: 57)
    s.spawn(13, in: 1, "fraud-check", at: 1_002, line: 63)
    s.spawn(14, in: 1, "send-receipt", at: 1_002, line: 70)
    s.start(11, in: 1, at: 1_002)
    s.start(12, in: 1, at: 1_003)
    s.start(13, in: 1, at: 1_003)
    s.start(14, in: 1, at: 1_004, waited: 1_500_000)
    s.open(2, "fraud-signals", at: 1_010, parentTask: 13, parentGroup: 1, limit: 4, line: 80)
    s.spawn(21, in: 2, "ip-reputation", at: 1_011, line: 84)
    s.spawn(22, in: 2, "velocity 📈", at: 1_011, line: 85)
    s.start(21, in: 2, at: 1_012)
    s.end(11, in: 1, .ok, at: 1_040, duration: 38)
    s.fault(12, "charge-card", in: 1, "checkout-request", message: "card declined: \"insufficient funds\"", started: 1_003, at: 1_215)
    s.end(12, in: 1, .failed, at: 1_215, duration: 212)
    s.end(14, in: 1, .cancelled, at: 1_220, duration: 216)
    s.open(3, "nightly-sync 同期", at: 1_300, policy: .collectAll, limit: 2, line: 12)
    s.spawn(31, in: 3, "sync 注文 orders", at: 1_301, line: 20)
    s.spawn(32, in: 3, "sync customers", at: 1_301, line: 20)
    s.spawn(33, in: 3, "sync invoices", at: 1_301, line: 20)
    s.start(31, in: 3, at: 1_302)
    s.start(32, in: 3, at: 1_302)
    s.fault(31, "sync 注文 orders", in: 3, "nightly-sync 同期", kind: .timeout, errorType: "",
            message: "ran past its 2 s timeout", started: 1_302, at: 3_302, stack: [
                StackFrame(symbol: "Sync.OrdersClient.fetchPage(after:)", file: "Sync/OrdersClient.swift", line: 140),
            ], line: 20)
    s.end(31, in: 3, .timedOut, at: 3_302, duration: 2_000)
    s.start(33, in: 3, at: 3_303, waited: 2_001_000_000)
    s.dropped(17, at: 3_400)
    s.heartbeat(at: 3_500, produced: 120)
    return s
}

/// The state after ``checkoutScenario()``, with the viewer's clock 0.5 s after the last event.
func checkoutState(mode: DashboardMode = .live, size: TerminalSize) -> DashboardState {
    var state = DashboardState(mode: mode, size: size)
    state.update(.connection(.connected))
    state.update(.tick(viewerNanoseconds: 0))
    state.feed(checkoutScenario())
    state.update(.tick(viewerNanoseconds: 500_000_000))
    return state
}
