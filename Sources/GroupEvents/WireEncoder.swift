/// Writes headers and events as lines of the wire format (`docs/PROTOCOL.md`).
///
/// Each call appends one complete line, newline included, to a byte array the caller owns,
/// so a producer can batch many lines into one write. The encoder keeps no state: the
/// caller numbers the events of its stream.
///
/// Strings are escaped as JSON requires and cut to ``WireFormat/maxMessageBytes`` (a fault's
/// message) or ``WireFormat/maxTextBytes`` (everything else), and a stack to
/// ``WireFormat/maxStackFrames`` frames, so no line reaches ``WireFormat/defaultMaxLineLength``.
public struct WireEncoder: Sendable {
    public init() {}

    /// Appends the header line that starts a stream.
    public func encodeHeader(_ header: WireHeader, into output: inout [UInt8]) {
        let strings = [WireFormat.name, header.version.description, header.service, header.clock]
        let bound = 256 + strings.reduce(0) { $0 + ByteWriter.bound(ofString: min($1.utf8.count, WireFormat.maxTextBytes)) }
        withWriter(bound: bound, into: &output) { w in
            w.key(.format, first: true); w.string(WireFormat.name, limit: WireFormat.maxTextBytes)
            w.key(.version); w.string(header.version.description, limit: WireFormat.maxTextBytes)
            w.key(.service); w.string(header.service, limit: WireFormat.maxTextBytes)
            w.key(.pid); w.signed(Int64(header.pid))
            w.key(.epochUnixNs); w.signed(header.epochUnixNanoseconds)
            w.key(.clock); w.string(header.clock, limit: WireFormat.maxTextBytes)
        }
    }

    /// Appends one event line with sequence number `seq`.
    public func encode(_ event: Event, seq: UInt64, into output: inout [UInt8]) {
        withWriter(bound: Self.bound(of: event.kind), into: &output) { w in
            w.key(.seq, first: true); w.unsigned(seq)
            w.key(.t); w.unsigned(event.time.rawValue)
            w.key(.type); w.byte(UInt8(ascii: "\"")); w.raw(WireEventType(event.kind).name); w.byte(UInt8(ascii: "\""))
            switch event.kind {
            case .groupOpened(let e): Self.write(e, to: &w)
            case .groupClosed(let e): Self.write(e, to: &w)
            case .taskSpawned(let e): Self.write(e, to: &w)
            case .taskStarted(let e):
                w.key(.task); w.unsigned(e.task.rawValue)
                w.key(.group); w.unsigned(e.group.rawValue)
                w.key(.waitedNs); w.unsigned(e.waitedNanoseconds)
            case .taskEnded(let e):
                w.key(.task); w.unsigned(e.task.rawValue)
                w.key(.group); w.unsigned(e.group.rawValue)
                w.key(.status); w.quoted(e.status.rawValue)
                w.key(.durationNs); w.unsigned(e.durationNanoseconds)
                if e.wasSlowToCancel { w.key(.slowToCancel); w.bool(true) }
            case .faultRecorded(let e): Self.write(e, to: &w)
            case .slowToCancel(let e):
                w.key(.task); w.unsigned(e.task.rawValue)
                w.key(.group); w.unsigned(e.group.rawValue)
                w.key(.sinceCancelNs); w.unsigned(e.sinceCancelNanoseconds)
            case .dropped(let e):
                w.key(.count); w.unsigned(e.count)
            case .heartbeat(let e):
                w.key(.produced); w.unsigned(e.produced)
                w.key(.dropped); w.unsigned(e.dropped)
            }
        }
    }

    /// Writes one line into a temporary buffer of `bound` bytes, then appends it with one copy.
    private func withWriter(bound: Int, into output: inout [UInt8], _ body: (inout ByteWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound + 2) { buffer in
            // A temporary allocation of a positive capacity always has a base address.
            var writer = ByteWriter(buffer.baseAddress!)
            body(&writer)
            writer.byte(UInt8(ascii: "}"))
            writer.byte(UInt8(ascii: "\n"))
            output.append(contentsOf: writer.written)
        }
    }

    /// An upper bound of the bytes of a line of `kind`: its keys and integers (generously
    /// below 512 bytes for every type, 64 a stack frame) and its strings escaped at worst.
    private static func bound(of kind: Event.Kind) -> Int {
        let fixed = 512
        func text(_ s: String) -> Int { ByteWriter.bound(ofString: min(s.utf8.count, WireFormat.maxTextBytes)) }
        func site(_ s: SourceSite) -> Int { ByteWriter.bound(ofString: s.withFileUTF8 { min($0.count, WireFormat.maxTextBytes) }) }
        switch kind {
        case .groupOpened(let e): return fixed + text(e.name) + site(e.site)
        case .taskSpawned(let e): return fixed + text(e.name) + site(e.site)
        case .faultRecorded(let e):
            var total = fixed + text(e.taskName) + text(e.groupName) + text(e.errorType) + text(e.stackOrigin) + site(e.site)
            total += ByteWriter.bound(ofString: min(e.message.utf8.count, WireFormat.maxMessageBytes))
            for frame in e.stack.prefix(WireFormat.maxStackFrames) {
                total += 64 + text(frame.symbol) + (frame.file.map(text) ?? 0)
            }
            return total
        case .groupClosed, .taskStarted, .taskEnded, .slowToCancel, .dropped, .heartbeat:
            return fixed
        }
    }

    private static func write(_ e: GroupOpened, to w: inout ByteWriter) {
        w.key(.group); w.unsigned(e.group.rawValue)
        w.key(.name); w.string(e.name, limit: WireFormat.maxTextBytes)
        if let parent = e.parentTask { w.key(.parentTask); w.unsigned(parent.rawValue) }
        if let parent = e.parentGroup { w.key(.parentGroup); w.unsigned(parent.rawValue) }
        w.key(.site); w.site(e.site)
        w.key(.policy); w.quoted(e.policy.rawValue)
        if let limit = e.limit { w.key(.limit); w.signed(Int64(limit)) }
    }

    private static func write(_ e: GroupClosed, to w: inout ByteWriter) {
        w.key(.group); w.unsigned(e.group.rawValue)
        w.key(.outcome); w.quoted(e.outcome.rawValue)
        w.key(.faultCount); w.signed(Int64(e.faultCount))
        w.key(.childCount); w.signed(Int64(e.childCount))
        switch e.cancellation {
        case nil: break
        case .parentCancelled?: w.key(.cancellation); w.raw(#"{"cause":"parent-cancelled"}"#)
        case .requested?: w.key(.cancellation); w.raw(#"{"cause":"requested"}"#)
        case .fault(let task)?:
            w.key(.cancellation); w.raw(#"{"cause":"fault","task":"#); w.unsigned(task.rawValue); w.byte(UInt8(ascii: "}"))
        }
    }

    private static func write(_ e: TaskSpawned, to w: inout ByteWriter) {
        w.key(.task); w.unsigned(e.task.rawValue)
        w.key(.group); w.unsigned(e.group.rawValue)
        w.key(.name); w.string(e.name, limit: WireFormat.maxTextBytes)
        w.key(.site); w.site(e.site)
        if e.isolated { w.key(.isolated); w.bool(true) }
    }

    private static func write(_ e: FaultInfo, to w: inout ByteWriter) {
        w.key(.task); w.unsigned(e.task.rawValue)
        w.key(.taskName); w.string(e.taskName, limit: WireFormat.maxTextBytes)
        w.key(.group); w.unsigned(e.group.rawValue)
        w.key(.groupName); w.string(e.groupName, limit: WireFormat.maxTextBytes)
        w.key(.site); w.site(e.site)
        w.key(.kind); w.quoted(e.kind.rawValue)
        w.key(.errorType); w.string(e.errorType, limit: WireFormat.maxTextBytes)
        w.key(.message); w.string(e.message, limit: WireFormat.maxMessageBytes)
        w.key(.startedAt); w.unsigned(e.startedAt.rawValue)
        w.key(.endedAt); w.unsigned(e.endedAt.rawValue)
        w.key(.stackOrigin); w.string(e.stackOrigin, limit: WireFormat.maxTextBytes)
        w.key(.stack); w.byte(UInt8(ascii: "["))
        for (index, frame) in e.stack.prefix(WireFormat.maxStackFrames).enumerated() {
            if index > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw(#"{"symbol":"#); w.string(frame.symbol, limit: WireFormat.maxTextBytes)
            if let file = frame.file { w.raw(#","file":"#); w.string(file, limit: WireFormat.maxTextBytes) }
            if frame.line != 0 { w.raw(#","line":"#); w.unsigned(UInt64(frame.line)) }
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
        if let signal = e.signal { w.key(.signal); w.signed(Int64(signal)) }
    }
}

extension ByteWriter {
    /// Writes `{"file":…,"line":…}`.
    fileprivate mutating func site(_ site: SourceSite) {
        raw(#"{"file":"#)
        site.withFileUTF8 { string(utf8: $0, limit: WireFormat.maxTextBytes) }
        raw(#","line":"#)
        unsigned(UInt64(site.line))
        byte(UInt8(ascii: "}"))
    }

    /// Writes an enum's raw value, which is ASCII with nothing to escape.
    fileprivate mutating func quoted(_ rawValue: String) {
        string(rawValue, limit: WireFormat.maxTextBytes)
    }
}
