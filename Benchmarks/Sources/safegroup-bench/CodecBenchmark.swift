import Foundation
import GroupEvents

/// Measures the hand-written wire codec against Foundation's `JSONEncoder`/`JSONDecoder`
/// on the same realistic mix of events, side by side in one run.
///
/// The mix is what a busy service emits: for each task a spawn, a start and an end; 5% of
/// tasks fault with an 8-frame stack; a group opens and closes around every 20 tasks. Both
/// sides start from `Event` values and end with `Event` values, so the Foundation side pays
/// for converting to and from its `Codable` mirror, as a real Codable implementation would.
enum CodecBenchmark {
    static let encodeTarget = 150.0
    static let decodeTarget = 250.0

    static func run() {
        // `safegroup-bench codec decode-only [rounds]`: only the hand-written decoder, for
        // instruction counts (`perf stat -e instructions`, callgrind) without the other sides.
        // `safegroup-bench codec encode-only [rounds]`: the same for the hand-written encoder.
        // `safegroup-bench codec ingest [lines]`: replay-ingest throughput of a big file, beside jq.
        let extra = Array(CommandLine.arguments.dropFirst(2))
        if extra.first == "encode-only" {
            encodeOnly(rounds: extra.dropFirst().first.flatMap { Int($0) } ?? 100)
            return
        }
        if extra.first == "decode-only" {
            decodeOnly(rounds: extra.dropFirst().first.flatMap { Int($0) } ?? 100)
            return
        }
        if extra.first == "ingest" {
            ingest(lines: extra.dropFirst().first.flatMap { Int($0) } ?? 200_000)
            return
        }
        let events = makeMix(tasks: 4_000)
        let rounds = 15

        var stream: [UInt8] = []
        let encoder = WireEncoder()
        for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &stream) }
        let ourEncode = best(of: rounds) { () -> Int in
            var out: [UInt8] = []
            out.reserveCapacity(stream.count)
            for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &out) }
            return out.count
        } / Double(events.count)
        let ourDecode = best(of: rounds) { () -> Int in
            let decoded = decodeAll(stream)
            precondition(decoded == events.count, "the hand-written decoder lost events")
            return decoded
        } / Double(events.count)

        let jsonEncoder = JSONEncoder()
        let foundationLines = events.enumerated().map { index, event in
            // The benchmark's own events always encode.
            try! jsonEncoder.encode(CodableEvent(event, seq: UInt64(index + 1)))
        }
        var foundationStream = Data()
        for line in foundationLines { foundationStream.append(line); foundationStream.append(0x0A) }
        let foundationEncode = best(of: rounds) { () -> Int in
            var out = Data()
            for (index, event) in events.enumerated() {
                out.append(try! jsonEncoder.encode(CodableEvent(event, seq: UInt64(index + 1))))
                out.append(0x0A)
            }
            return out.count
        } / Double(events.count)
        let jsonDecoder = JSONDecoder()
        let foundationDecode = best(of: rounds) { () -> Int in
            var decoded = 0
            for line in foundationStream.split(separator: 0x0A) {
                if let mirror = try? jsonDecoder.decode(CodableEvent.self, from: line), mirror.event() != nil { decoded += 1 }
            }
            precondition(decoded == events.count, "the Foundation mirror lost events")
            return decoded
        } / Double(events.count)

        let faults = events.filter { if case .faultRecorded = $0.kind { true } else { false } }.count
        print("codec: \(events.count) events (4000 tasks, \(faults) faults with 8-frame stacks), "
              + "\(stream.count / events.count) bytes/line; best of \(rounds) rounds")
        print(pad("", 18) + pad("hand-written", 14) + pad("Foundation", 12) + pad("ratio", 8) + "target")
        row("encode ns/event", ourEncode, foundationEncode, target: encodeTarget)
        row("decode ns/line", ourDecode, foundationDecode, target: decodeTarget)
    }

    /// Decodes `stream` in 64 KiB chunks, as a socket or file reader would, counting events.
    @inline(never)
    static func decodeAll(_ stream: [UInt8]) -> Int {
        var decoder = WireDecoder()
        var decoded = 0
        var offset = 0
        stream.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let end = min(offset + 64 * 1024, bytes.count)
                try? decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                while let record = decoder.next() {
                    if case .event = record { decoded += 1 }
                }
                offset = end
            }
        }
        try? decoder.finish()
        while let record = decoder.next() {
            if case .event = record { decoded += 1 }
        }
        return decoded
    }

    /// Only the decoder, `rounds` times over the mix: run it with two round counts under
    /// `perf stat -e instructions` and divide the difference by the extra lines for a
    /// per-line count free of the setup.
    private static func decodeOnly(rounds: Int) {
        let events = makeMix(tasks: 4_000)
        var stream: [UInt8] = []
        let encoder = WireEncoder()
        for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &stream) }
        let clock = ContinuousClock()
        var sink = 0
        var bestTime = Double.infinity
        for _ in 0..<rounds {
            let start = clock.now
            sink &+= decodeAll(stream)
            let elapsed = clock.now - start
            bestTime = min(bestTime, Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        }
        precondition(sink == rounds * events.count, "the hand-written decoder lost events")
        print("decode-only: \(events.count) lines x \(rounds) rounds, "
              + "best \(format(rounds > 0 ? bestTime / Double(events.count) : 0)) ns/line")
    }

    /// Only the encoder, `rounds` times over the mix (see ``decodeOnly(rounds:)``).
    private static func encodeOnly(rounds: Int) {
        let events = makeMix(tasks: 4_000)
        let encoder = WireEncoder()
        let perLine = best(of: max(rounds, 1)) { () -> Int in
            var out: [UInt8] = []
            out.reserveCapacity(events.count * 160)
            for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &out) }
            return out.count
        } / Double(events.count)
        print("encode-only: \(events.count) events x \(rounds) rounds, best \(format(perLine)) ns/event")
    }

    /// Replay ingest: decodes a file of `lines` realistic lines from disk-sized memory and
    /// reports MB/s, beside `jq -c . FILE > /dev/null` on the same file when jq is installed.
    private static func ingest(lines: Int) {
        var events: [Event] = []
        while events.count < lines { events += makeMix(tasks: 4_000) }
        events.removeLast(events.count - lines)
        var stream: [UInt8] = []
        stream.reserveCapacity(lines * 160)
        let encoder = WireEncoder()
        encoder.encodeHeader(WireHeader(service: "checkout", pid: 4242, epochUnixNanoseconds: 1_767_225_600_000_000_000),
                             into: &stream)
        for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &stream) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("safegroup-ingest-\(getpid()).ndjson").path
        FileManager.default.createFile(atPath: path, contents: Data(stream))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let megabytes = Double(stream.count) / 1e6

        let ours = best(of: 5) { () -> Int in
            // Read the file as a replay does, then decode it.
            guard let data = FileManager.default.contents(atPath: path) else { return 0 }
            let decoded = decodeAll([UInt8](data))
            precondition(decoded == lines, "the hand-written decoder lost events")
            return decoded
        }
        print("ingest: \(lines) lines, \(format(megabytes)) MB (\(stream.count / lines) bytes/line)")
        print("  hand-written decoder: \(format(megabytes / (ours / 1e9))) MB/s (\(format(ours / Double(lines))) ns/line, best of 5)")

        let jq = ["/usr/bin/jq", "/usr/local/bin/jq", "/opt/homebrew/bin/jq"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let jq else { print("  jq: not installed, no ratio"); return }
        let theirs = best(of: 3) { () -> Int in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: jq)
            process.arguments = ["-c", ".", path]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            guard (try? process.run()) != nil else { return 0 }
            process.waitUntilExit()
            return Int(process.terminationStatus)
        }
        let ratio = theirs / ours
        print("  jq -c . FILE > /dev/null: \(format(megabytes / (theirs / 1e9))) MB/s")
        print("  ratio: \(format(ratio))x jq's rate (target >= 10x) \(ratio >= 10 ? "PASS" : "FAIL")")
    }

    private static func row(_ name: String, _ ours: Double, _ foundation: Double, target: Double) {
        let verdict = ours <= target ? "PASS" : "FAIL"
        print(pad(name, 18) + pad(format(ours), 14) + pad(format(foundation), 12)
              + pad(format(foundation / ours) + "x", 8) + "<= \(Int(target)) \(verdict)")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The best wall time of `rounds` runs of `body` after one warm-up run, in nanoseconds.
    ///
    /// The best, not the median: this machine is shared, and other work only ever adds time.
    /// `body` returns a value so the work cannot be optimized away.
    private static func best(of rounds: Int, _ body: () -> Int) -> Double {
        var sink = body()
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<rounds {
            let start = clock.now
            sink &+= body()
            let elapsed = clock.now - start
            times.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        }
        if sink == 42 { print("") }
        return times.min() ?? 0
    }

    // MARK: The mix

    static func makeMix(tasks: Int) -> [Event] {
        var rng = SystemRandomNumberGenerator()
        var events: [Event] = []
        var time: UInt64 = 1_250_000_000
        func at() -> MonotonicTime {
            time += UInt64.random(in: 1_000...50_000, using: &rng)
            return MonotonicTime(nanoseconds: time)
        }
        let frames = (0..<8).map { index in
            StackFrame(symbol: "Checkout.PaymentClient.charge(card:amount:) async throws -> Checkout.Receipt #\(index)",
                       file: "Checkout/PaymentClient.swift", line: UInt32(40 + index))
        }
        var group = GroupID(0)
        for index in 0..<tasks {
            if index % 20 == 0 {
                if group.rawValue > 0 {
                    events.append(Event(time: at(), .groupClosed(GroupClosed(group: group, outcome: .faulted, faultCount: 1, childCount: 20))))
                }
                group = GroupID(group.rawValue + 1)
                events.append(Event(time: at(), .groupOpened(GroupOpened(
                    group: group, name: "checkout-request", parentTask: TaskID(UInt64(index)), parentGroup: nil,
                    site: SourceSite(fileID: "Checkout/Handler.swift", line: 42), policy: .cancelOnFirstFault, limit: 8))))
            }
            let task = TaskID(UInt64(index + 1))
            let started = at()
            events.append(Event(time: started, .taskSpawned(TaskSpawned(
                task: task, group: group, name: "charge-card", site: SourceSite(fileID: "Checkout/Handler.swift", line: 57)))))
            events.append(Event(time: at(), .taskStarted(TaskStarted(task: task, group: group, waitedNanoseconds: 1_520))))
            let faults = index % 20 == 7
            let ended = at()
            if faults {
                events.append(Event(time: ended, .faultRecorded(FaultInfo(
                    task: task, taskName: "charge-card", group: group, groupName: "checkout-request",
                    site: SourceSite(fileID: "Checkout/Handler.swift", line: 57), kind: .error,
                    errorType: "Checkout.PaymentError", message: "card declined: insufficient funds (code 51)",
                    startedAt: started, endedAt: ended, stack: frames))))
            }
            events.append(Event(time: ended, .taskEnded(TaskEnded(
                task: task, group: group, status: faults ? .failed : .ok, durationNanoseconds: ended.nanoseconds(since: started)))))
        }
        return events
    }
}

// MARK: - The Codable mirror: how the same lines look to Foundation

private struct CodableEvent: Codable {
    struct Site: Codable { var file: String; var line: UInt32 }
    struct Frame: Codable { var symbol: String; var file: String?; var line: UInt32? }
    struct Cancellation: Codable { var cause: String; var task: UInt64?; var shutdown: String? }

    var seq: UInt64
    var t: UInt64
    var type: String
    var group, task, parentTask, parentGroup: UInt64?
    var name: String?
    var site: Site?
    var policy, outcome, status, kind: String?
    var limit, faultCount, childCount: Int?
    var cancellation: Cancellation?
    var isolated, slowToCancel: Bool?
    var waitedNs, durationNs, sinceCancelNs, startedAt, endedAt, count, produced, dropped: UInt64?
    var taskName, groupName, errorType, message, stackOrigin: String?
    var stack: [Frame]?
    var signal: Int32?

    init(_ event: Event, seq: UInt64) {
        self.seq = seq
        t = event.time.rawValue
        switch event.kind {
        case .groupOpened(let e):
            type = "group.opened"; group = e.group.rawValue; name = e.name
            parentTask = e.parentTask?.rawValue; parentGroup = e.parentGroup?.rawValue
            site = Site(file: e.site.file, line: e.site.line); policy = e.policy.rawValue; limit = e.limit
        case .groupClosed(let e):
            type = "group.closed"; group = e.group.rawValue; outcome = e.outcome.rawValue
            faultCount = e.faultCount; childCount = e.childCount
            switch e.cancellation {
            case .parentCancelled?: cancellation = Cancellation(cause: "parent-cancelled")
            case .requested?: cancellation = Cancellation(cause: "requested")
            case .gracefulShutdown?: cancellation = Cancellation(cause: "requested", shutdown: "graceful")
            case .fault(let task)?: cancellation = Cancellation(cause: "fault", task: task.rawValue)
            case nil: break
            }
        case .taskSpawned(let e):
            type = "task.spawned"; task = e.task.rawValue; group = e.group.rawValue; name = e.name
            site = Site(file: e.site.file, line: e.site.line); isolated = e.isolated ? true : nil
        case .taskStarted(let e):
            type = "task.started"; task = e.task.rawValue; group = e.group.rawValue; waitedNs = e.waitedNanoseconds
        case .taskEnded(let e):
            type = "task.ended"; task = e.task.rawValue; group = e.group.rawValue; status = e.status.rawValue
            durationNs = e.durationNanoseconds; slowToCancel = e.wasSlowToCancel ? true : nil
        case .faultRecorded(let e):
            type = "fault"; task = e.task.rawValue; taskName = e.taskName; group = e.group.rawValue
            groupName = e.groupName; site = Site(file: e.site.file, line: e.site.line); kind = e.kind.rawValue
            errorType = e.errorType; message = e.message; startedAt = e.startedAt.rawValue; endedAt = e.endedAt.rawValue
            stackOrigin = e.stackOrigin.rawValue; signal = e.signal
            stack = e.stack.map { Frame(symbol: $0.symbol, file: $0.file, line: $0.line == 0 ? nil : $0.line) }
        case .slowToCancel(let e):
            type = "task.slow-to-cancel"; task = e.task.rawValue; group = e.group.rawValue; sinceCancelNs = e.sinceCancelNanoseconds
        case .dropped(let e):
            type = "dropped"; count = e.count
        case .heartbeat(let e):
            type = "heartbeat"; produced = e.produced; dropped = e.dropped
        case .processCrashed(let e):
            // Never in the benchmark's streams (a process writes at most one, from a signal
            // handler); the comparison model keeps the fields it shares with the others.
            type = "process.crashed"; task = e.task?.rawValue; group = e.group?.rawValue; signal = e.signal
        case .viewerAction:
            // Never in the benchmark's streams either (a viewer's request).
            type = "viewer.action"
        }
    }

    func event() -> Event? {
        let time = MonotonicTime(nanoseconds: t)
        let site = self.site.map { SourceSite(file: $0.file, line: $0.line) }
        switch type {
        case "group.opened":
            guard let group, let name, let site, let policy = policy.flatMap(FailurePolicy.init) else { return nil }
            return Event(time: time, .groupOpened(GroupOpened(
                group: GroupID(group), name: name, parentTask: parentTask.map { TaskID($0) },
                parentGroup: parentGroup.map { GroupID($0) }, site: site, policy: policy, limit: limit)))
        case "group.closed":
            guard let group, let outcome = outcome.flatMap(GroupClosed.Outcome.init), let faultCount, let childCount else { return nil }
            var cause: CancellationCause?
            switch cancellation?.cause {
            case "parent-cancelled": cause = .parentCancelled
            case "requested": cause = cancellation?.shutdown == "graceful" ? .gracefulShutdown : .requested
            case "fault": cause = cancellation?.task.map { .fault(TaskID($0)) }
            default: cause = nil
            }
            return Event(time: time, .groupClosed(GroupClosed(
                group: GroupID(group), outcome: outcome, faultCount: faultCount, childCount: childCount, cancellation: cause)))
        case "task.spawned":
            guard let task, let group, let name, let site else { return nil }
            return Event(time: time, .taskSpawned(TaskSpawned(
                task: TaskID(task), group: GroupID(group), name: name, site: site, isolated: isolated ?? false)))
        case "task.started":
            guard let task, let group, let waitedNs else { return nil }
            return Event(time: time, .taskStarted(TaskStarted(task: TaskID(task), group: GroupID(group), waitedNanoseconds: waitedNs)))
        case "task.ended":
            guard let task, let group, let status = status.flatMap(TaskStatus.init), let durationNs else { return nil }
            return Event(time: time, .taskEnded(TaskEnded(
                task: TaskID(task), group: GroupID(group), status: status, durationNanoseconds: durationNs,
                wasSlowToCancel: slowToCancel ?? false)))
        case "fault":
            guard let task, let taskName, let group, let groupName, let site, let kind = kind.flatMap(FaultKind.init),
                  let errorType, let message, let startedAt, let endedAt, let stackOrigin, let stack else { return nil }
            return Event(time: time, .faultRecorded(FaultInfo(
                task: TaskID(task), taskName: taskName, group: GroupID(group), groupName: groupName, site: site,
                kind: kind, errorType: errorType, message: message,
                startedAt: MonotonicTime(nanoseconds: startedAt), endedAt: MonotonicTime(nanoseconds: endedAt),
                stackOrigin: StackOrigin(rawValue: stackOrigin), stack: stack.map { StackFrame(symbol: $0.symbol, file: $0.file, line: $0.line ?? 0) },
                signal: signal)))
        case "task.slow-to-cancel":
            guard let task, let group, let sinceCancelNs else { return nil }
            return Event(time: time, .slowToCancel(SlowToCancel(task: TaskID(task), group: GroupID(group), sinceCancelNanoseconds: sinceCancelNs)))
        case "dropped":
            return count.map { Event(time: time, .dropped(Dropped(count: $0))) }
        case "heartbeat":
            guard let produced, let dropped else { return nil }
            return Event(time: time, .heartbeat(Heartbeat(produced: produced, dropped: dropped)))
        default:
            return nil
        }
    }
}
