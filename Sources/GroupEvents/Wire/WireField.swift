/// The name of a top-level field of a header or an event line.
///
/// A field name means one thing with one JSON type in every line type, now and in later
/// minor versions; that is what lets the decoder read a value by its key alone, before it
/// has seen the line's `type`.
enum WireField {
    // Every event line.
    case seq, t, type
    // Ids, names and sites shared by several event types.
    case group, task, name, site
    // group.opened
    case parentTask, parentGroup, policy, limit
    // group.closed
    case outcome, faultCount, childCount, cancellation
    // task.spawned, task.started, task.ended, task.slow-to-cancel
    case isolated, waitedNs, status, durationNs, slowToCancel, sinceCancelNs
    // fault
    case taskName, groupName, kind, errorType, message, startedAt, endedAt, stackOrigin, stack, signal
    // process.crashed
    case signalName, reason, thread, address, images
    // dropped, heartbeat
    case count, faultsDropped, produced, dropped, viewers
    // The header.
    case format, version, service, pid, epochUnixNs, clock
    /// Since 1.5: a `viewer.action` event's, and the header's `actions`.
    case viewer, request, action, result, actions

    @inline(__always)
    var name: StaticString {
        switch self {
        case .seq: "seq"
        case .t: "t"
        case .type: "type"
        case .group: "group"
        case .task: "task"
        case .name: "name"
        case .site: "site"
        case .parentTask: "parentTask"
        case .parentGroup: "parentGroup"
        case .policy: "policy"
        case .limit: "limit"
        case .outcome: "outcome"
        case .faultCount: "faultCount"
        case .childCount: "childCount"
        case .cancellation: "cancellation"
        case .isolated: "isolated"
        case .waitedNs: "waitedNs"
        case .status: "status"
        case .durationNs: "durationNs"
        case .slowToCancel: "slowToCancel"
        case .sinceCancelNs: "sinceCancelNs"
        case .taskName: "taskName"
        case .groupName: "groupName"
        case .kind: "kind"
        case .errorType: "errorType"
        case .message: "message"
        case .startedAt: "startedAt"
        case .endedAt: "endedAt"
        case .stackOrigin: "stackOrigin"
        case .stack: "stack"
        case .signal: "signal"
        case .signalName: "signalName"
        case .reason: "reason"
        case .thread: "thread"
        case .address: "address"
        case .images: "images"
        case .count: "count"
        case .faultsDropped: "faultsDropped"
        case .produced: "produced"
        case .dropped: "dropped"
        case .viewers: "viewers"
        case .format: "format"
        case .version: "version"
        case .service: "service"
        case .pid: "pid"
        case .epochUnixNs: "epochUnixNs"
        case .clock: "clock"
        case .viewer: "viewer"
        case .request: "request"
        case .action: "action"
        case .result: "result"
        case .actions: "actions"
        }
    }

    /// The field named by `key`, or nil for a field this build does not know (and skips).
    ///
    /// Picks the one candidate by length and first byte (second, where two names share
    /// both), then compares once: this runs for every key of every line.
    init?(key: UnsafeBufferPointer<UInt8>) {
        guard let first = key.first else { return nil }
        let second = key.count > 1 ? key[1] : 0
        let candidate: WireField
        switch (key.count, first) {
        case (1, UInt8(ascii: "t")): candidate = .t
        case (3, UInt8(ascii: "s")): candidate = .seq
        case (3, UInt8(ascii: "p")): candidate = .pid
        case (4, UInt8(ascii: "t")): candidate = second == UInt8(ascii: "y") ? .type : .task
        case (4, UInt8(ascii: "n")): candidate = .name
        case (4, UInt8(ascii: "s")): candidate = .site
        case (4, UInt8(ascii: "k")): candidate = .kind
        case (5, UInt8(ascii: "g")): candidate = .group
        case (5, UInt8(ascii: "l")): candidate = .limit
        case (5, UInt8(ascii: "s")): candidate = .stack
        case (5, UInt8(ascii: "c")): candidate = second == UInt8(ascii: "o") ? .count : .clock
        case (6, UInt8(ascii: "p")): candidate = .policy
        case (6, UInt8(ascii: "s")): candidate = second == UInt8(ascii: "t") ? .status : .signal
        case (6, UInt8(ascii: "f")): candidate = .format
        case (6, UInt8(ascii: "r")): candidate = key[2] == UInt8(ascii: "s") ? .result : .reason
        case (6, UInt8(ascii: "t")): candidate = .thread
        case (6, UInt8(ascii: "i")): candidate = .images
        case (6, UInt8(ascii: "v")): candidate = .viewer
        case (6, UInt8(ascii: "a")): candidate = .action
        case (7, UInt8(ascii: "a")): candidate = second == UInt8(ascii: "d") ? .address : .actions
        case (7, UInt8(ascii: "r")): candidate = .request
        case (7, UInt8(ascii: "o")): candidate = .outcome
        case (7, UInt8(ascii: "m")): candidate = .message
        case (7, UInt8(ascii: "e")): candidate = .endedAt
        case (7, UInt8(ascii: "v")): candidate = second == UInt8(ascii: "e") ? .version : .viewers
        case (7, UInt8(ascii: "s")): candidate = .service
        case (7, UInt8(ascii: "d")): candidate = .dropped
        case (8, UInt8(ascii: "i")): candidate = .isolated
        case (8, UInt8(ascii: "w")): candidate = .waitedNs
        case (8, UInt8(ascii: "t")): candidate = .taskName
        case (8, UInt8(ascii: "p")): candidate = .produced
        case (9, UInt8(ascii: "g")): candidate = .groupName
        case (9, UInt8(ascii: "e")): candidate = .errorType
        case (9, UInt8(ascii: "s")): candidate = .startedAt
        case (10, UInt8(ascii: "p")): candidate = .parentTask
        case (10, UInt8(ascii: "f")): candidate = .faultCount
        case (10, UInt8(ascii: "c")): candidate = .childCount
        case (10, UInt8(ascii: "d")): candidate = .durationNs
        case (10, UInt8(ascii: "s")): candidate = .signalName
        case (11, UInt8(ascii: "p")): candidate = .parentGroup
        case (11, UInt8(ascii: "s")): candidate = .stackOrigin
        case (11, UInt8(ascii: "e")): candidate = .epochUnixNs
        case (12, UInt8(ascii: "c")): candidate = .cancellation
        case (12, UInt8(ascii: "s")): candidate = .slowToCancel
        case (13, UInt8(ascii: "s")): candidate = .sinceCancelNs
        case (13, UInt8(ascii: "f")): candidate = .faultsDropped
        default: return nil
        }
        guard key.equals(candidate.name) else { return nil }
        self = candidate
    }
}
