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
    // dropped, heartbeat
    case count, produced, dropped
    // The header.
    case format, version, service, pid, epochUnixNs, clock

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
        case .count: "count"
        case .produced: "produced"
        case .dropped: "dropped"
        case .format: "format"
        case .version: "version"
        case .service: "service"
        case .pid: "pid"
        case .epochUnixNs: "epochUnixNs"
        case .clock: "clock"
        }
    }

    /// The field named by `key`, or nil for a field this build does not know (and skips).
    ///
    /// Dispatches on the length first, so a key is compared with a handful of names at most:
    /// this runs for every key of every line.
    init?(key: UnsafeBufferPointer<UInt8>) {
        let candidates: [WireField]
        switch key.count {
        case 1: candidates = [.t]
        case 3: candidates = [.seq, .pid]
        case 4: candidates = [.type, .task, .name, .site, .kind]
        case 5: candidates = [.group, .limit, .stack, .count, .clock]
        case 6: candidates = [.policy, .status, .signal, .format]
        case 7: candidates = [.outcome, .message, .endedAt, .version, .service, .dropped]
        case 8: candidates = [.isolated, .waitedNs, .taskName, .produced]
        case 9: candidates = [.groupName, .errorType, .startedAt]
        case 10: candidates = [.parentTask, .faultCount, .childCount, .durationNs]
        case 11: candidates = [.parentGroup, .stackOrigin, .epochUnixNs]
        case 12: candidates = [.cancellation, .slowToCancel]
        case 13: candidates = [.sinceCancelNs]
        default: return nil
        }
        for field in candidates where key.equals(field.name) {
            self = field
            return
        }
        return nil
    }
}
