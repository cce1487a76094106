/// The `type` field of an event line: one name per ``Event/Kind`` case.
enum WireEventType {
    case groupOpened, groupClosed, taskSpawned, taskStarted, taskEnded
    case fault, slowToCancel, dropped, heartbeat, processCrashed, viewerAction

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
        case .processCrashed: self = .processCrashed
        case .viewerAction: self = .viewerAction
        }
    }

    /// Matches the raw bytes of a `type` value without building a `String`, since every line has one.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        let candidate: WireEventType
        switch bytes.count {
        case 5: candidate = .fault
        case 7: candidate = .dropped
        case 9: candidate = .heartbeat
        case 10: candidate = .taskEnded
        case 12:
            // group.opened, group.closed, task.spawned, task.started: told apart by bytes 0 and 6.
            switch (bytes[0], bytes[6]) {
            case (UInt8(ascii: "g"), UInt8(ascii: "o")): candidate = .groupOpened
            case (UInt8(ascii: "g"), _): candidate = .groupClosed
            case (_, UInt8(ascii: "p")): candidate = .taskSpawned
            default: candidate = .taskStarted
            }
        case 13: candidate = .viewerAction
        case 15: candidate = .processCrashed
        case 19: candidate = .slowToCancel
        default: return nil
        }
        guard bytes.equals(candidate.name) else { return nil }
        self = candidate
    }

    @inline(__always)
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
        case .processCrashed: "process.crashed"
        case .viewerAction: "viewer.action"
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes are exactly the UTF-8 of `text`.
    ///
    /// Compares with two overlapping loads, never past either end: keys and type names are
    /// compared for every field of every line, and a byte loop was a tenth of decoding.
    @inline(__always)
    func equals(_ text: StaticString) -> Bool {
        let count = self.count
        guard count == text.utf8CodeUnitCount else { return false }
        guard let base = baseAddress.map(UnsafeRawPointer.init) else { return count == 0 }
        let other = UnsafeRawPointer(text.utf8Start)
        switch count {
        case 8...:
            var offset = 0
            while offset + 8 < count {
                guard base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                        == other.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
                offset += 8
            }
            return base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                == other.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        case 4...:
            return base.loadUnaligned(as: UInt32.self) == other.loadUnaligned(as: UInt32.self)
                && base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
                == other.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        default:
            for index in 0..<count where self[index] != text.utf8Start[index] {
                return false
            }
            return true
        }
    }
}
