import GroupEvents

/// Turns records of a stream into sanitized, human-readable lines, one per event.
///
/// For example `+1.262500s #5 task.ended t42 'charge-card' failed 12.5ms`. A fault, and a
/// crash (`process.crashed`, the service's last gasp), is followed by its stack frames, indented. Every string from the stream goes through
/// ``TextSanitizer``, so no control character or escape sequence reaches the output.
///
/// `task.started` and `task.ended` carry no name, so the formatter remembers the tasks it saw
/// spawned and the groups it saw open (up to ``nameLimit`` each) until they end or close; a
/// fault is also followed by its spawn chain (``SpawnChain``), found from them.
struct EventFormatter {
    /// How many tasks and groups are remembered at most; beyond that, lines show only ids.
    static let nameLimit = 262_144

    private var tree = SpawnTree(limit: nameLimit)

    /// Forgets the names of the previous session: ids start over after a new header.
    mutating func startSession() {
        tree.reset()
    }

    /// The lines for one event: one, and for a fault one more per stack frame and per step of its chain.
    mutating func lines(seq: UInt64, _ event: Event) -> [String] {
        tree.learn(event)
        defer { tree.forget(event) }
        let prefix = "\(Self.seconds(event.time.rawValue)) #\(seq)"
        switch event.kind {
        case .groupOpened(let e):
            var line = "\(prefix) group.opened \(e.group) \(Self.quoted(e.name)) \(e.policy.rawValue)"
            if let limit = e.limit { line += " limit \(limit)" }
            if let task = e.parentTask { line += " in \(task)" + (e.parentGroup.map { "/\($0)" } ?? "") }
            return [line + " at \(Self.site(e.site))"]
        case .groupClosed(let e):
            var line = "\(prefix) group.closed \(e.group)\(groupName(e.group)) \(e.outcome.rawValue)"
            line += " \(e.childCount) \(e.childCount == 1 ? "child" : "children"), \(e.faultCount) \(e.faultCount == 1 ? "fault" : "faults")"
            switch e.cancellation {
            case .parentCancelled?: line += ", cancelled by its parent"
            case .requested?: line += ", cancelled on request"
            case .gracefulShutdown?: line += ", cancelled by a graceful shutdown"
            case .fault(let task)?: line += ", cancelled after the fault of \(task)"
            case nil: break
            }
            return [line]
        case .taskSpawned(let e):
            return ["\(prefix) task.spawned \(e.task) \(Self.quoted(e.name)) in \(e.group) at \(Self.site(e.site))"
                    + (e.isolated ? " isolated" : "")]
        case .taskStarted(let e):
            return ["\(prefix) task.started \(e.task)\(taskName(e.task)) waited \(Self.duration(e.waitedNanoseconds))"]
        case .taskEnded(let e):
            return ["\(prefix) task.ended \(e.task)\(taskName(e.task)) \(e.status.rawValue) \(Self.duration(e.durationNanoseconds))"
                    + (e.wasSlowToCancel ? " slow-to-cancel" : "")]
        case .faultRecorded(let e):
            var line = "\(prefix) fault \(e.kind.rawValue) \(e.task) \(Self.quoted(e.taskName)) in \(e.group) \(Self.quoted(e.groupName))"
            line += " at \(Self.site(e.site))"
            if !e.errorType.isEmpty { line += " \(TextSanitizer.sanitize(e.errorType)):" }
            line += " \(Self.quoted(e.message))"
            if let signal = e.signal { line += " signal \(signal)" }
            line += " after \(Self.duration(e.endedAt.nanoseconds(since: e.startedAt)))"
            var lines = [line]
            if !e.stack.isEmpty { lines.append("    stack (\(TextSanitizer.sanitize(e.stackOrigin.rawValue))):") }
            for (index, frame) in e.stack.enumerated() {
                var text = "      \(index) \(TextSanitizer.sanitize(frame.symbol))"
                if let file = frame.file {
                    text += " \(TextSanitizer.sanitize(file))" + (frame.line != 0 ? ":\(frame.line)" : "")
                }
                lines.append(text)
            }
            lines.append("    spawn chain:")
            for step in tree.chain(task: e.task, group: e.group) { lines.append("      " + describe(step, fault: e)) }
            return lines
        case .slowToCancel(let e):
            return ["\(prefix) task.slow-to-cancel \(e.task)\(taskName(e.task)) still running \(Self.duration(e.sinceCancelNanoseconds)) after cancel"]
        case .dropped(let e):
            let faults = e.faults > 0 ? ", \(e.faults) of them \(e.faults == 1 ? "a fault" : "faults")" : ""
            return ["\(prefix) dropped \(e.count) \(e.count == 1 ? "event" : "events") lost\(faults)"]
        case .viewerAction(let e):
            let target = switch e.target {
            case .task(let id)?: " \(id)\(taskName(id))"
            case .group(let id)?: " \(id)"
            case nil: ""
            }
            let reason = e.reason.map { ": " + TextSanitizer.sanitize($0) } ?? ""
            return ["\(prefix) viewer.action viewer \(e.viewer) request \(e.request) \(Self.quoted(e.action))\(target) \(e.result.rawValue)\(reason)"]
        case .heartbeat(let e):
            return ["\(prefix) heartbeat produced \(e.produced) dropped \(e.dropped)" + (e.viewers.map { " viewers \($0)" } ?? "")]
        case .processCrashed(let e):
            var line = "\(prefix) process.crashed \(TextSanitizer.sanitize(e.signalName)) (signal \(e.signal))"
            if let task = e.task {
                line += " in \(task)\(taskName(task))"
                if let group = e.group { line += " in \(group)\(groupName(group))" }
            } else {
                line += " outside any SafeGroup child"
            }
            line += " on thread \(e.thread): \(Self.quoted(e.reason))"
            var lines = [line]
            if !e.stack.isEmpty { lines.append("    stack (last gasp, return addresses):") }
            for (index, frame) in e.stack.enumerated() {
                var text = "      \(index) \(TextSanitizer.sanitize(frame.symbol))"
                if let address = frame.address, let (image, offset) = e.image(of: address) {
                    // What `addr2line -f -e IMAGE OFFSET` takes.
                    text += " " + image.location(offset: offset)
                }
                lines.append(text)
            }
            return lines
        }
    }

    private func taskName(_ task: TaskID) -> String {
        tree.tasks[task].map { " " + Self.quoted($0.name) } ?? ""
    }

    private func groupName(_ group: GroupID) -> String {
        tree.groups[group].map { " " + Self.quoted($0.name) } ?? ""
    }

    /// `t42 'charge-card' spawned at Checkout/Handler.swift:57`, `g3 'checkout' opened at …`.
    private func describe(_ step: SpawnChain.Step, fault: FaultInfo) -> String {
        switch step {
        case .task(let id) where id == fault.task:
            return "\(id) \(Self.quoted(fault.taskName)) spawned at \(Self.site(fault.site))"
        case .task(let id):
            guard let task = tree.tasks[id] else { return "\(id)" }
            return "\(id) \(Self.quoted(task.name)) spawned at \(Self.site(task.site))"
        case .group(let id):
            guard let group = tree.groups[id] else { return "\(id)" }
            return "\(id) \(Self.quoted(group.name)) opened at \(Self.site(group.site))"
        case .unseenTask(let id):
            return "\(id) (spawned before this stream began)"
        case .unseenGroup(let id):
            return "\(id)\(id == fault.group ? " " + Self.quoted(fault.groupName) : "") (its opening is not in this stream)"
        }
    }

    // MARK: Pieces

    /// `'name'`, sanitized.
    static func quoted(_ text: String) -> String { "'\(TextSanitizer.sanitize(text))'" }

    static func site(_ site: SourceSite) -> String { "\(TextSanitizer.sanitize(site.file)):\(site.line)" }

    /// `+1.250000s`: a timestamp as seconds since the producer's epoch, to the microsecond.
    static func seconds(_ nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1_000
        let fraction = String(micros % 1_000_000)
        return "+\(micros / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)s"
    }

    /// `850ns`, `1.5µs`, `12.3ms`, `2.0s`: a duration with three significant figures at most.
    static func duration(_ nanoseconds: UInt64) -> String {
        switch nanoseconds {
        case ..<1_000: return "\(nanoseconds)ns"
        case ..<1_000_000: return oneDecimal(nanoseconds, per: 1_000) + "µs"
        case ..<1_000_000_000: return oneDecimal(nanoseconds, per: 1_000_000) + "ms"
        default: return oneDecimal(nanoseconds, per: 1_000_000_000) + "s"
        }
    }

    private static func oneDecimal(_ value: UInt64, per unit: UInt64) -> String {
        // (value * 10 + unit / 2) / unit, without the product that overflows past 58 years.
        let tenth = unit / 10
        let tenths = value / tenth + (value % tenth >= tenth / 2 ? 1 : 0)
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension WireHeader {
    /// `== 'checkout' pid 4242, wire format 1.0, epoch 2026-01-01 00:00:00.000 UTC`.
    var summary: String {
        "== \(EventFormatter.quoted(service)) pid \(pid), wire format \(version), epoch \(UTCDate(unixNanoseconds: epochUnixNanoseconds))"
    }
}

/// A wall-clock time as `2026-01-01 00:00:00.000 UTC`, computed without a calendar library.
struct UTCDate: CustomStringConvertible {
    let unixNanoseconds: Int64

    var description: String {
        let millis = unixNanoseconds.dividedFloor(by: 1_000_000)
        let seconds = millis.dividedFloor(by: 1000)
        let days = seconds.dividedFloor(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = millis - seconds * 1000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(msText) UTC"
    }

    /// Howard Hinnant's days-from-civil, inverted: the proleptic Gregorian date of a day number.
    static func civil(fromDays z: Int64) -> (Int64, Int64, Int64) {
        let z = z + 719_468
        let era = z.dividedFloor(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Division rounding towards minus infinity, for times before 1970.
    func dividedFloor(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
