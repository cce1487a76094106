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
        Self.withWriter(bound: bound, into: &output) { w in
            w.key(.format, first: true); w.string(WireFormat.name, limit: WireFormat.maxTextBytes)
            w.key(.version); w.string(header.version.description, limit: WireFormat.maxTextBytes)
            w.key(.service); w.string(header.service, limit: WireFormat.maxTextBytes)
            w.key(.pid); w.signed(Int64(header.pid))
            w.key(.epochUnixNs); w.signed(header.epochUnixNanoseconds)
            w.key(.clock); w.string(header.clock, limit: WireFormat.maxTextBytes)
            if header.actions { w.key(.actions); w.bool(true) }
        }
    }

    /// Appends one event line with sequence number `seq`.
    public func encode(_ event: Event, seq: UInt64, into output: inout [UInt8]) {
        // The switch stays outside the writing closures: switching inside one copied the
        // whole `Event.Kind` through its value witness, a third of the cost of a line.
        let time = event.time.rawValue
        switch event.kind {
        case .groupOpened(let e):
            let bound = Self.fixedBound + Self.bound(e.name) + Self.bound(e.site)
            Self.line(.groupOpened, seq: seq, time: time, bound: bound, into: &output) { w in Self.write(e, to: &w) }
        case .groupClosed(let e):
            Self.line(.groupClosed, seq: seq, time: time, bound: Self.fixedBound, into: &output) { w in Self.write(e, to: &w) }
        case .taskSpawned(let e):
            let bound = Self.fixedBound + Self.bound(e.name) + Self.bound(e.site)
            Self.line(.taskSpawned, seq: seq, time: time, bound: bound, into: &output) { w in Self.write(e, to: &w) }
        case .taskStarted(let e):
            Self.line(.taskStarted, seq: seq, time: time, bound: Self.fixedBound, into: &output) { w in
                w.key(.task); w.unsigned(e.task.rawValue)
                w.key(.group); w.unsigned(e.group.rawValue)
                w.key(.waitedNs); w.unsigned(e.waitedNanoseconds)
            }
        case .taskEnded(let e):
            Self.line(.taskEnded, seq: seq, time: time, bound: Self.fixedBound, into: &output) { w in
                w.key(.task); w.unsigned(e.task.rawValue)
                w.key(.group); w.unsigned(e.group.rawValue)
                w.key(.status); w.quoted(e.status.rawValue)
                w.key(.durationNs); w.unsigned(e.durationNanoseconds)
                if e.wasSlowToCancel { w.key(.slowToCancel); w.bool(true) }
            }
        case .faultRecorded(let e):
            Self.line(.fault, seq: seq, time: time, bound: Self.bound(e), into: &output) { w in Self.write(e, to: &w) }
        case .slowToCancel(let e):
            Self.line(.slowToCancel, seq: seq, time: time, bound: Self.fixedBound, into: &output) { w in
                w.key(.task); w.unsigned(e.task.rawValue)
                w.key(.group); w.unsigned(e.group.rawValue)
                w.key(.sinceCancelNs); w.unsigned(e.sinceCancelNanoseconds)
            }
        case .dropped(let e):
            Self.line(.dropped, seq: seq, time: time, bound: Self.fixedBound, into: &output) { w in
                w.key(.count); w.unsigned(e.count)
                if e.faults > 0 { w.key(.faultsDropped); w.unsigned(e.faults) }
            }
        case .heartbeat(let e):
            Self.line(.heartbeat, seq: seq, time: time, bound: Self.fixedBound, into: &output) { w in
                w.key(.produced); w.unsigned(e.produced)
                w.key(.dropped); w.unsigned(e.dropped)
                if let viewers = e.viewers { w.key(.viewers); w.signed(Int64(viewers)) }
            }
        case .viewerAction(let e):
            let bound = Self.fixedBound + Self.bound(e.action) + (e.reason.map(Self.bound) ?? 0)
            Self.line(.viewerAction, seq: seq, time: time, bound: bound, into: &output) { w in
                w.key(.viewer); w.signed(Int64(e.viewer))
                w.key(.request); w.unsigned(e.request)
                w.key(.action); w.string(e.action, limit: WireFormat.maxTextBytes)
                switch e.target {
                case .task(let id)?: w.key(.task); w.unsigned(id.rawValue)
                case .group(let id)?: w.key(.group); w.unsigned(id.rawValue)
                case nil: break
                }
                w.key(.result); w.quoted(e.result.rawValue)
                if let reason = e.reason { w.key(.reason); w.string(reason, limit: WireFormat.maxTextBytes) }
            }
        case .processCrashed(let e):
            var bound = Self.fixedBound + Self.bound(e.signalName) + Self.bound(e.reason)
            for frame in e.stack.prefix(WireFormat.maxStackFrames) {
                bound += 64 + Self.bound(frame.symbol) + (frame.file.map(Self.bound) ?? 0)
            }
            for image in e.images.prefix(WireFormat.maxStackFrames + 1) { bound += 96 + Self.bound(image.path) }
            Self.line(.processCrashed, seq: seq, time: time, bound: bound, into: &output) { w in Self.write(e, to: &w) }
        }
    }

    /// Writes an event line with its common fields and the fields `body` writes.
    @inline(__always)
    private static func line(
        _ type: WireEventType, seq: UInt64, time: UInt64, bound: Int, into output: inout [UInt8],
        _ body: (inout ByteWriter) -> Void
    ) {
        withWriter(bound: bound, into: &output) { w in
            w.key(.seq, first: true); w.unsigned(seq)
            w.key(.t); w.unsigned(time)
            w.key(.type); w.byte(UInt8(ascii: "\"")); w.raw(type.name); w.byte(UInt8(ascii: "\""))
            body(&w)
        }
    }

    /// Writes one line into a temporary buffer of `bound` bytes, then appends it with one copy.
    @inline(__always)
    private static func withWriter(bound: Int, into output: inout [UInt8], _ body: (inout ByteWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound + 2) { buffer in
            // A temporary allocation of a positive capacity always has a base address.
            var writer = ByteWriter(buffer.baseAddress!)
            body(&writer)
            writer.byte(UInt8(ascii: "}"))
            writer.byte(UInt8(ascii: "\n"))
            output.append(contentsOf: writer.written)
        }
    }

    /// Generously more than the keys and integers of any line take (a fault's stack aside):
    /// every type has fewer than 20 fields, of at most 20-byte keys and 20-digit numbers.
    private static let fixedBound = 512

    private static func bound(_ text: String) -> Int {
        ByteWriter.bound(ofString: min(text.utf8.count, WireFormat.maxTextBytes))
    }

    private static func bound(_ site: SourceSite) -> Int {
        ByteWriter.bound(ofString: site.withFileUTF8 { min($0.count, WireFormat.maxTextBytes) })
    }

    /// A fault's bound: its strings escaped at worst, and 64 bytes of keys and line number a frame.
    private static func bound(_ e: FaultInfo) -> Int {
        var total = fixedBound + bound(e.taskName) + bound(e.groupName) + bound(e.errorType) + bound(e.stackOrigin.rawValue)
        total += bound(e.site) + ByteWriter.bound(ofString: min(e.message.utf8.count, WireFormat.maxMessageBytes))
        for frame in e.stack.prefix(WireFormat.maxStackFrames) {
            total += 64 + bound(frame.symbol) + (frame.file.map(bound) ?? 0)
        }
        return total
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
        // A reader before 1.4 knows no new `cause` value (PROTOCOL.md, "Versioning"), so it
        // reads `requested` and ignores the field that says why.
        case .gracefulShutdown?: w.key(.cancellation); w.raw(#"{"cause":"requested","shutdown":"graceful"}"#)
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

    /// The same fields in the same order as the crash handler writes them (CSystem's CrashHandler.c).
    private static func write(_ e: ProcessCrashed, to w: inout ByteWriter) {
        w.key(.signal); w.signed(Int64(e.signal))
        w.key(.signalName); w.string(e.signalName, limit: WireFormat.maxTextBytes)
        w.key(.reason); w.string(e.reason, limit: WireFormat.maxTextBytes)
        if let task = e.task { w.key(.task); w.unsigned(task.rawValue) }
        if let group = e.group { w.key(.group); w.unsigned(group.rawValue) }
        w.key(.thread); w.signed(Int64(e.thread))
        if let address = e.address { w.key(.address); w.unsigned(address) }
        w.key(.stack); w.stack(e.stack)
        w.key(.images); w.byte(UInt8(ascii: "["))
        for (index, image) in e.images.prefix(WireFormat.maxStackFrames + 1).enumerated() {
            if index > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw(#"{"path":"#); w.string(image.path, limit: WireFormat.maxTextBytes)
            w.raw(#","base":"#); w.unsigned(image.base)
            w.raw(#","size":"#); w.unsigned(image.size)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
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
        w.key(.stackOrigin); w.string(e.stackOrigin.rawValue, limit: WireFormat.maxTextBytes)
        w.key(.stack); w.stack(e.stack)
        if let signal = e.signal { w.key(.signal); w.signed(Int64(signal)) }
    }
}

extension ByteWriter {
    /// Writes a stack: `[{"symbol":…,"file":…,"line":…},…]`, the innermost frames first.
    fileprivate mutating func stack(_ frames: [StackFrame]) {
        byte(UInt8(ascii: "["))
        for (index, frame) in frames.prefix(WireFormat.maxStackFrames).enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            raw(#"{"symbol":"#); string(frame.symbol, limit: WireFormat.maxTextBytes)
            if let file = frame.file { raw(#","file":"#); string(file, limit: WireFormat.maxTextBytes) }
            if frame.line != 0 { raw(#","line":"#); unsigned(UInt64(frame.line)) }
            byte(UInt8(ascii: "}"))
        }
        byte(UInt8(ascii: "]"))
    }

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
