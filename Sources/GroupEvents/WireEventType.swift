/// The `type` field of an event line: one name per ``Event/Kind`` case.
enum WireEventType: CaseIterable {
    case groupOpened, groupClosed, taskSpawned, taskStarted, taskEnded
    case fault, slowToCancel, dropped, heartbeat

    init(_ kind: Event.Kind) {
        switch kind {
        case .groupOpened: self = .groupOpened
        case .groupClosed: self = .groupClosed
        case .taskSpawned: self = .taskSpawned
        case .taskStarted: self = .taskStarted
        case .taskEnded: self = .taskEnded
        case .faultRecorded: self = .fault
        case .slowToCancel: self = .slowToCancel
        case .dropped: self = .dropped
        case .heartbeat: self = .heartbeat
        }
    }

    /// Matches the raw bytes of a `type` value without building a `String`, since every line has one.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        for type in Self.allCases where bytes.equals(type.name) {
            self = type
            return
        }
        return nil
    }

    var name: StaticString {
        switch self {
        case .groupOpened: "group.opened"
        case .groupClosed: "group.closed"
        case .taskSpawned: "task.spawned"
        case .taskStarted: "task.started"
        case .taskEnded: "task.ended"
        case .fault: "fault"
        case .slowToCancel: "task.slow-to-cancel"
        case .dropped: "dropped"
        case .heartbeat: "heartbeat"
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes are exactly the UTF-8 of `text`.
    func equals(_ text: StaticString) -> Bool {
        guard count == text.utf8CodeUnitCount else { return false }
        let other = text.utf8Start
        for index in 0..<count where self[index] != other[index] {
            return false
        }
        return true
    }
}
