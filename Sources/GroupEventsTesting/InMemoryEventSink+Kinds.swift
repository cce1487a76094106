import GroupEvents

/// The events of each kind, typed, in the order they arrived: one set of names for every test.
extension InMemoryEventSink {
    public var opened: [GroupOpened] { events { if case .groupOpened(let e) = $0 { e } else { nil } } }
    public var closed: [GroupClosed] { events { if case .groupClosed(let e) = $0 { e } else { nil } } }
    public var spawned: [TaskSpawned] { events { if case .taskSpawned(let e) = $0 { e } else { nil } } }
    public var started: [TaskStarted] { events { if case .taskStarted(let e) = $0 { e } else { nil } } }
    public var ended: [TaskEnded] { events { if case .taskEnded(let e) = $0 { e } else { nil } } }
    public var faults: [FaultInfo] { events { if case .faultRecorded(let e) = $0 { e } else { nil } } }
    public var slowToCancel: [SlowToCancel] { events { if case .slowToCancel(let e) = $0 { e } else { nil } } }
}
