import Foundation
import GroupEvents

/// Recordings written for the tests with the real encoder.
enum Recordings {
    private static let site = SourceSite(file: "Tests/Recordings.swift", line: 7)
    private static let second: UInt64 = 1_000_000_000

    /// One group and two tasks over 3 s; the last event is a fault, `FinalError`, with a stack.
    static func small() -> Data {
        let base: UInt64 = 5 * second
        let group = GroupID(1), first = TaskID(1), last = TaskID(2)
        var events: [Event] = [
            Event(time: .init(nanoseconds: base), .groupOpened(GroupOpened(group: group, name: "replay-group", site: site, policy: .collectAll))),
            Event(time: .init(nanoseconds: base + 1_000), .taskSpawned(TaskSpawned(task: first, group: group, name: "first-task", site: site))),
            Event(time: .init(nanoseconds: base + 2_000), .taskStarted(TaskStarted(task: first, group: group))),
            Event(time: .init(nanoseconds: base + second), .taskEnded(TaskEnded(task: first, group: group, status: .ok, durationNanoseconds: second))),
            Event(time: .init(nanoseconds: base + second + 1_000), .taskSpawned(TaskSpawned(task: last, group: group, name: "second-task", site: site))),
            Event(time: .init(nanoseconds: base + second + 2_000), .taskStarted(TaskStarted(task: last, group: group))),
        ]
        let fault = FaultInfo(task: last, taskName: "second-task", group: group, groupName: "replay-group", site: site,
                              kind: .error, errorType: "Tests.FinalError", message: "the last event",
                              startedAt: .init(nanoseconds: base + second), endedAt: .init(nanoseconds: base + 3 * second),
                              stack: [StackFrame(symbol: "Tests.finalStep()", file: "Tests/Final.swift", line: 42)])
        events.append(Event(time: .init(nanoseconds: base + 3 * second), .faultRecorded(fault)))
        return encode(service: "small-service", events)
    }

    /// Escape sequences, an OSC title change, bidi overrides and C1 controls in every string,
    /// then a huge line, a malformed line holding raw ESC bytes, and a torn last line.
    static func hostile() -> Data {
        let osc = "\u{1B}]0;pwned\u{07}"
        let nasty = "\(osc)\u{1B}[2J\u{1B}[31mred\u{9B}31m\u{202E}evil\u{2066}x\u{85}\u{7F}"
        let group = GroupID(1), task = TaskID(1)
        let t: UInt64 = second
        var events: [Event] = [
            Event(time: .init(nanoseconds: t), .groupOpened(GroupOpened(group: group, name: "g \(nasty)", site: SourceSite(file: nasty, line: 1), policy: .collectAll))),
            Event(time: .init(nanoseconds: t + 1), .taskSpawned(TaskSpawned(task: task, group: group, name: "t \(nasty)", site: site))),
            Event(time: .init(nanoseconds: t + 2), .taskStarted(TaskStarted(task: task, group: group))),
        ]
        let fault = FaultInfo(task: task, taskName: "t \(nasty)", group: group, groupName: "g \(nasty)", site: site,
                              kind: .error, errorType: "E\(nasty)", message: String(repeating: nasty, count: 2_000),
                              startedAt: .init(nanoseconds: t), endedAt: .init(nanoseconds: t + 3),
                              stack: [StackFrame(symbol: "sym\(nasty)", file: nasty, line: 1)])
        events.append(Event(time: .init(nanoseconds: t + 3), .faultRecorded(fault)))
        var data = encode(service: "svc \(nasty)", events)
        data.append(Data("{\"seq\":9,\"t\":5,\"type\":\"task.spawned\",\"name\":\"".utf8) + Data(repeating: UInt8(ascii: "x"), count: 3 << 20) + Data("\"}\n".utf8))
        data.append(Data([0x1B, 0x5D, 0x30, 0x3B]) + Data("pwned".utf8) + Data([0x07, 0x0A]))
        data.append(Data("{\"seq\":10,\"t\":".utf8))
        return data
    }

    private static func encode(service: String, _ events: [Event]) -> Data {
        var bytes: [UInt8] = []
        let encoder = WireEncoder()
        encoder.encodeHeader(WireHeader(service: service, pid: 4242, epochUnixNanoseconds: 1_700_000_000 * 1_000_000_000), into: &bytes)
        for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &bytes) }
        return Data(bytes)
    }
}
