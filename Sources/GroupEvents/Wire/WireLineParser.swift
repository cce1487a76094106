/// What one line of a stream holds, once parsed.
enum WireLine {
    /// Only whitespace: ignored.
    case blank
    case header(WireHeader)
    case event(seq: UInt64, Event)
    /// An event line whose `type` this build does not know.
    case unknownType(String)
    /// A header this build must not read past.
    case refused(WireFormatError.Code, found: String)
}

/// Parses one line (without its newline) into a header or an event.
///
/// One pass over the bytes: each top-level value is read by its key alone (a field name has
/// one JSON type across the protocol) into ``Fields``, so the `type` may come anywhere in
/// the line and a duplicate key simply overwrites; the event is built once the line ends.
enum WireLineParser {
    /// Parses a line, trying ``WireFastPath`` (the encoder's own layout) first and the general
    /// parser when it gives up; `strings` shares repeated strings between lines.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, strings: inout StringTable) throws(LineFailure) -> WireLine {
        guard let base = line.baseAddress else { return .blank }
        var scanner = JSONScanner(base: base, count: line.count)
        do {
            if let fast = try WireFastPath.event(&scanner, strings: &strings) { return .event(seq: fast.seq, fast.event) }
        } catch {
            // A string the fast path could not read: the general parser says why.
        }
        return try parse(line)
    }

    /// Parses a line with the general parser alone: any order of fields, whitespace, escapes.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(LineFailure) -> WireLine {
        guard let base = line.baseAddress else { return .blank }
        var scanner = JSONScanner(base: base, count: line.count)
        scanner.skipWhitespace()
        if scanner.isAtEnd { return .blank }
        var fields = Fields()
        try scanner.readObject(depth: 1) { (s, key) throws(LineFailure) in
            if let field = WireField(key: key) {
                try fields.read(field, from: &s)
            } else {
                try s.skipValue(depth: 2)
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.failure("unexpected text after the object") }
        return try fields.line()
    }
}

/// The `type` value of a line.
private enum TypeValue {
    case known(WireEventType)
    case unknown(String)
}

/// Every top-level field a line may have, as read so far.
private struct Fields {
    var seq: UInt64?
    var t: UInt64?
    var type: TypeValue?
    var group: UInt64?
    var task: UInt64?
    var name: String?
    var site: SourceSite?
    var parentTask: UInt64?
    var parentGroup: UInt64?
    var policy: FailurePolicy?
    var limit: Int?
    var outcome: GroupClosed.Outcome?
    var faultCount: Int?
    var childCount: Int?
    var cancellation: CancellationCause?
    var isolated: Bool?
    var waitedNs: UInt64?
    var status: TaskStatus?
    var durationNs: UInt64?
    var slowToCancel: Bool?
    var sinceCancelNs: UInt64?
    var taskName: String?
    var groupName: String?
    var kind: FaultKind?
    var errorType: String?
    var message: String?
    var startedAt: UInt64?
    var endedAt: UInt64?
    var stackOrigin: String?
    var stack: [StackFrame]?
    var signal: Int32?
    var signalName: String?
    var reason: String?
    var thread: Int32?
    var address: UInt64?
    var images: [LoadedImage]?
    var count: UInt64?
    var faultsDropped: UInt64?
    var produced: UInt64?
    var dropped: UInt64?
    var viewers: Int?
    var viewer: Int32?
    var request: UInt64?
    var action: String?
    var result: ViewerAction.Result?
    var actions: Bool?
    var format: String?
    var version: String?
    var service: String?
    var pid: Int32?
    var epochUnixNs: Int64?
    var clock: String?

    mutating func read(_ field: WireField, from s: inout JSONScanner) throws(LineFailure) {
        switch field {
        case .seq: seq = try s.readUnsigned()
        case .t: t = try s.readUnsigned()
        case .type:
            type = try s.readStringBytes { bytes in
                WireEventType(bytes: bytes).map(TypeValue.known) ?? .unknown(String(decoding: bytes, as: UTF8.self))
            }
        // Optional in process.crashed, so null reads as absent (and as missing where required).
        case .group: group = try s.consumeNull() ? nil : s.readUnsigned()
        case .task: task = try s.consumeNull() ? nil : s.readUnsigned()
        case .name: name = try s.readString()
        case .site: site = try Self.readSite(from: &s)
        case .parentTask: parentTask = try s.consumeNull() ? nil : s.readUnsigned()
        case .parentGroup: parentGroup = try s.consumeNull() ? nil : s.readUnsigned()
        case .policy: policy = try Self.readEnum(field, from: &s)
        case .limit: limit = try s.consumeNull() ? nil : s.readInteger(as: Int.self)
        case .outcome: outcome = try Self.readEnum(field, from: &s)
        case .faultCount: faultCount = try s.readInteger(as: Int.self)
        case .childCount: childCount = try s.readInteger(as: Int.self)
        case .cancellation: cancellation = try s.consumeNull() ? nil : Self.readCancellation(from: &s)
        case .isolated: isolated = try s.readBool()
        case .waitedNs: waitedNs = try s.readUnsigned()
        case .status: status = try Self.readEnum(field, from: &s)
        case .durationNs: durationNs = try s.readUnsigned()
        case .slowToCancel: slowToCancel = try s.readBool()
        case .sinceCancelNs: sinceCancelNs = try s.readUnsigned()
        case .taskName: taskName = try s.readString()
        case .groupName: groupName = try s.readString()
        case .kind: kind = try Self.readEnum(field, from: &s)
        case .errorType: errorType = try s.readString()
        case .message: message = try s.readString()
        case .startedAt: startedAt = try s.readUnsigned()
        case .endedAt: endedAt = try s.readUnsigned()
        case .stackOrigin: stackOrigin = try s.readString()
        case .stack: stack = try Self.readStack(from: &s)
        case .signal: signal = try s.consumeNull() ? nil : s.readInteger(as: Int32.self)
        case .signalName: signalName = try s.readString()
        case .reason: reason = try s.readString()
        case .thread: thread = try s.readInteger(as: Int32.self)
        case .address: address = try s.consumeNull() ? nil : s.readUnsigned()
        case .images: images = try s.consumeNull() ? nil : Self.readImages(from: &s)
        case .count: count = try s.readUnsigned()
        case .faultsDropped: faultsDropped = try s.readUnsigned()
        case .produced: produced = try s.readUnsigned()
        case .dropped: dropped = try s.readUnsigned()
        case .viewers: viewers = try s.consumeNull() ? nil : s.readInteger(as: Int.self)
        case .viewer: viewer = try s.readInteger(as: Int32.self)
        case .request: request = try s.readInteger(as: UInt64.self)
        case .action: action = try s.readString()
        case .result: result = try Self.readEnum(field, from: &s)
        case .actions: actions = try s.readBool()
        case .format: format = try s.readString()
        case .version: version = try s.readString()
        case .service: service = try s.readString()
        case .pid: pid = try s.readInteger(as: Int32.self)
        case .epochUnixNs: epochUnixNs = try s.readSigned()
        case .clock: clock = try s.readString()
        }
    }

    // MARK: Building the line

    /// The header or event these fields make, once the whole line has been read.
    func line() throws(LineFailure) -> WireLine {
        if let format {
            return try header(format: format)
        }
        guard let type else { throw LineFailure(reason: "missing field 'type'") }
        switch type {
        case .unknown(let name):
            return .unknownType(name)
        case .known(let type):
            let seq = try need(seq, .seq)
            let time = MonotonicTime(nanoseconds: try need(t, .t))
            return .event(seq: seq, Event(time: time, try kind(of: type)))
        }
    }

    private func header(format: String) throws(LineFailure) -> WireLine {
        guard format == WireFormat.name else { return .refused(.notAnEventStream, found: format) }
        guard let text = version, let version = WireVersion(text) else {
            return .refused(.unreadableVersion, found: self.version ?? "")
        }
        guard version.major == WireFormat.version.major else { return .refused(.unsupportedVersion, found: text) }
        return .header(WireHeader(
            service: try need(service, .service), pid: try need(pid, .pid),
            epochUnixNanoseconds: try need(epochUnixNs, .epochUnixNs), clock: try need(clock, .clock),
            version: version, actions: actions ?? false))
    }

    private func kind(of type: WireEventType) throws(LineFailure) -> Event.Kind {
        switch type {
        case .groupOpened:
            return .groupOpened(GroupOpened(
                group: GroupID(try need(group, .group)), name: try need(name, .name),
                parentTask: parentTask.map { TaskID($0) }, parentGroup: parentGroup.map { GroupID($0) },
                site: try need(site, .site), policy: try need(policy, .policy), limit: limit))
        case .groupClosed:
            return .groupClosed(GroupClosed(
                group: GroupID(try need(group, .group)), outcome: try need(outcome, .outcome),
                faultCount: try need(faultCount, .faultCount), childCount: try need(childCount, .childCount),
                cancellation: cancellation))
        case .taskSpawned:
            return .taskSpawned(TaskSpawned(
                task: TaskID(try need(task, .task)), group: GroupID(try need(group, .group)),
                name: try need(name, .name), site: try need(site, .site), isolated: isolated ?? false))
        case .taskStarted:
            return .taskStarted(TaskStarted(
                task: TaskID(try need(task, .task)), group: GroupID(try need(group, .group)),
                waitedNanoseconds: try need(waitedNs, .waitedNs)))
        case .taskEnded:
            return .taskEnded(TaskEnded(
                task: TaskID(try need(task, .task)), group: GroupID(try need(group, .group)),
                status: try need(status, .status), durationNanoseconds: try need(durationNs, .durationNs),
                wasSlowToCancel: slowToCancel ?? false))
        case .fault:
            // Spelled out field by field: one expression with every `need` is too much for the type checker.
            let task = TaskID(try need(task, .task)), group = GroupID(try need(group, .group))
            let startedAt = MonotonicTime(nanoseconds: try need(startedAt, .startedAt))
            let endedAt = MonotonicTime(nanoseconds: try need(endedAt, .endedAt))
            let taskName = try need(taskName, .taskName), groupName = try need(groupName, .groupName)
            let errorType = try need(errorType, .errorType), message = try need(message, .message)
            let stackOrigin = try need(stackOrigin, .stackOrigin), stack = try need(stack, .stack)
            return .faultRecorded(FaultInfo(
                task: task, taskName: taskName, group: group, groupName: groupName,
                site: try need(site, .site), kind: try need(kind, .kind),
                errorType: errorType, message: message, startedAt: startedAt, endedAt: endedAt,
                stackOrigin: StackOrigin(rawValue: stackOrigin), stack: stack, signal: signal))
        case .slowToCancel:
            return .slowToCancel(SlowToCancel(
                task: TaskID(try need(task, .task)), group: GroupID(try need(group, .group)),
                sinceCancelNanoseconds: try need(sinceCancelNs, .sinceCancelNs)))
        case .dropped:
            return .dropped(Dropped(count: try need(count, .count), faults: faultsDropped ?? 0))
        case .heartbeat:
            return .heartbeat(Heartbeat(
                produced: try need(produced, .produced), dropped: try need(dropped, .dropped), viewers: viewers))
        case .viewerAction:
            let target: ViewerAction.Target? = task.map { .task(TaskID($0)) } ?? group.map { .group(GroupID($0)) }
            return .viewerAction(ViewerAction(
                viewer: try need(viewer, .viewer), request: try need(request, .request), action: try need(action, .action),
                target: target, result: try need(result, .result), reason: reason))
        case .processCrashed:
            let signal = try need(signal, .signal), signalName = try need(signalName, .signalName)
            let reason = try need(reason, .reason), thread = try need(thread, .thread)
            return .processCrashed(ProcessCrashed(
                signal: signal, signalName: signalName, reason: reason,
                task: task.map { TaskID($0) }, group: group.map { GroupID($0) },
                thread: thread, address: address, stack: try need(stack, .stack), images: images ?? []))
        }
    }

    private func need<T>(_ value: T?, _ field: WireField) throws(LineFailure) -> T {
        guard let value else { throw LineFailure(reason: "missing field '\(field.name)'") }
        return value
    }

    // MARK: Nested values

    private static func readEnum<E: RawRepresentable<String>>(_ field: WireField, from s: inout JSONScanner) throws(LineFailure) -> E {
        let text = try s.readString()
        guard let value = E(rawValue: text) else {
            throw LineFailure(reason: "unknown \(field.name) \"\(WireDiagnostic.printable(text))\"")
        }
        return value
    }

    /// Reads `{"file":…,"line":…}`.
    private static func readSite(from s: inout JSONScanner) throws(LineFailure) -> SourceSite {
        var file: String?
        var line: UInt32?
        try s.readObject(depth: 2) { (s, key) throws(LineFailure) in
            if key.equals("file") {
                file = try s.readString()
            } else if key.equals("line") {
                line = try s.readInteger(as: UInt32.self)
            } else {
                try s.skipValue(depth: 3)
            }
        }
        guard let file, let line else { throw LineFailure(reason: "a site needs 'file' and 'line'") }
        return SourceSite(file: file, line: line)
    }

    /// Reads `{"cause":"parent-cancelled"|"requested"|"fault","task":…}`, and since 1.4
    /// `{"cause":"requested","shutdown":"graceful"}`.
    private static func readCancellation(from s: inout JSONScanner) throws(LineFailure) -> CancellationCause {
        var cause: String?
        var task: UInt64?
        var shutdown: String?
        try s.readObject(depth: 2) { (s, key) throws(LineFailure) in
            if key.equals("cause") {
                cause = try s.readString()
            } else if key.equals("shutdown") {
                shutdown = try s.readString()
            } else if key.equals("task") {
                task = try s.readUnsigned()
            } else {
                try s.skipValue(depth: 3)
            }
        }
        switch cause {
        case "parent-cancelled": return .parentCancelled
        // Another `shutdown` value, from a later minor version, still reads as a request.
        case "requested": return shutdown == "graceful" ? .gracefulShutdown : .requested
        case "fault":
            guard let task else { throw LineFailure(reason: "a fault cancellation needs 'task'") }
            return .fault(TaskID(task))
        default:
            throw LineFailure(reason: "unknown cancellation cause \"\(WireDiagnostic.printable(cause ?? ""))\"")
        }
    }

    /// Reads an array of `{"path":…,"base":…,"size":…}`, keeping the first 33.
    private static func readImages(from s: inout JSONScanner) throws(LineFailure) -> [LoadedImage] {
        var images: [LoadedImage] = []
        try s.readArray(depth: 2) { (s) throws(LineFailure) in
            guard images.count <= WireFormat.maxStackFrames else {
                try s.skipValue(depth: 3)
                return
            }
            var path: String?
            var base: UInt64?
            var size: UInt64?
            try s.readObject(depth: 3) { (s, key) throws(LineFailure) in
                if key.equals("path") {
                    path = try s.readString()
                } else if key.equals("base") {
                    base = try s.readUnsigned()
                } else if key.equals("size") {
                    size = try s.readUnsigned()
                } else {
                    try s.skipValue(depth: 4)
                }
            }
            guard let path, let base, let size else { throw LineFailure(reason: "an image needs 'path', 'base' and 'size'") }
            images.append(LoadedImage(path: path, base: base, size: size))
        }
        return images
    }

    /// Reads an array of `{"symbol":…,"file":…,"line":…}`, keeping the first
    /// ``WireFormat/maxStackFrames`` frames and checking the syntax of the rest.
    private static func readStack(from s: inout JSONScanner) throws(LineFailure) -> [StackFrame] {
        var frames: [StackFrame] = []
        try s.readArray(depth: 2) { (s) throws(LineFailure) in
            guard frames.count < WireFormat.maxStackFrames else {
                try s.skipValue(depth: 3)
                return
            }
            var symbol: String?
            var file: String?
            var line: UInt32 = 0
            try s.readObject(depth: 3) { (s, key) throws(LineFailure) in
                if key.equals("symbol") {
                    symbol = try s.readString()
                } else if key.equals("file") {
                    file = try s.consumeNull() ? nil : s.readString()
                } else if key.equals("line") {
                    line = try s.readInteger(as: UInt32.self)
                } else {
                    try s.skipValue(depth: 4)
                }
            }
            guard let symbol else { throw LineFailure(reason: "a stack frame needs 'symbol'") }
            frames.append(StackFrame(symbol: symbol, file: file, line: line))
        }
        return frames
    }
}
