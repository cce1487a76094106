/// Reads an event line laid out exactly as ``WireEncoder`` writes it, or gives up.
///
/// The encoder writes every line the same way: `seq`, `t`, `type`, then the type's fields in
/// a fixed order, with no whitespace. This parser expects that layout byte for byte: it
/// matches each `,"key":` as one literal instead of reading, unescaping and looking up the
/// key, parses integers without per-digit overflow checks (the digit count bounds them), and
/// builds the payload struct directly instead of collecting fields.
///
/// It never decides that a line is bad: on anything else (another order, an unknown or
/// duplicate field, whitespace, an escaped key, `null`, a negative number, a leading zero, a
/// fraction, more than 19 digits, an unknown type, a header, a bad string) it returns nil,
/// or throws from the string reader, and ``WireLineParser`` reads the line again with the
/// general parser, which gives the answer, or the diagnostic, for every line. So whenever this
/// returns a line, it is the line the general parser would have returned.
enum WireFastPath {
    static func event(_ s: inout JSONScanner, strings: inout StringTable) throws(LineFailure) -> (seq: UInt64, event: Event)? {
        guard s.match(#"{"seq":"#), let seq = s.fastUnsigned(),
              s.match(#","t":"#), let t = s.fastUnsigned(),
              s.match(#","type":""#) else { return nil }
        // Each type is matched together with its first key.
        let kind: Event.Kind?
        switch s.peek() {
        case UInt8(ascii: "t"):
            if s.match(#"task.spawned","task":"#) {
                kind = try taskSpawned(&s, &strings)
            } else if s.match(#"task.started","task":"#) {
                kind = taskStarted(&s)
            } else if s.match(#"task.ended","task":"#) {
                kind = taskEnded(&s)
            } else if s.match(#"task.slow-to-cancel","task":"#) {
                kind = slowToCancel(&s)
            } else {
                return nil
            }
        case UInt8(ascii: "g"):
            if s.match(#"group.opened","group":"#) {
                kind = try groupOpened(&s, &strings)
            } else if s.match(#"group.closed","group":"#) {
                kind = groupClosed(&s)
            } else {
                return nil
            }
        case UInt8(ascii: "f"):
            guard s.match(#"fault","task":"#) else { return nil }
            kind = try fault(&s, &strings)
        case UInt8(ascii: "d"):
            guard s.match(#"dropped","count":"#), let count = s.fastUnsigned() else { return nil }
            kind = .dropped(Dropped(count: count))
        case UInt8(ascii: "h"):
            kind = heartbeat(&s)
        default:
            return nil
        }
        guard let kind, s.match("}") else { return nil }
        s.skipWhitespace()
        guard s.isAtEnd else { return nil }
        return (seq, Event(time: MonotonicTime(nanoseconds: t), kind))
    }

    // MARK: Event types, each after its first key

    private static func taskSpawned(_ s: inout JSONScanner, _ strings: inout StringTable) throws(LineFailure) -> Event.Kind? {
        guard let task = s.fastUnsigned(),
              s.match(#","group":"#), let group = s.fastUnsigned(),
              s.match(#","name":"#), let name = try s.fastString(&strings),
              s.match(#","site":"#), let site = try site(&s, &strings) else { return nil }
        var isolated = false
        if s.match(#","isolated":"#) {
            guard let value = s.fastBool() else { return nil }
            isolated = value
        }
        return .taskSpawned(TaskSpawned(task: TaskID(task), group: GroupID(group), name: name, site: site, isolated: isolated))
    }

    private static func taskStarted(_ s: inout JSONScanner) -> Event.Kind? {
        guard let task = s.fastUnsigned(),
              s.match(#","group":"#), let group = s.fastUnsigned(),
              s.match(#","waitedNs":"#), let waited = s.fastUnsigned() else { return nil }
        return .taskStarted(TaskStarted(task: TaskID(task), group: GroupID(group), waitedNanoseconds: waited))
    }

    private static func taskEnded(_ s: inout JSONScanner) -> Event.Kind? {
        guard let task = s.fastUnsigned(),
              s.match(#","group":"#), let group = s.fastUnsigned(),
              s.match(#","status":""#) else { return nil }
        let status: TaskStatus
        if s.match(#"ok""#) {
            status = .ok
        } else if s.match(#"failed""#) {
            status = .failed
        } else if s.match(#"cancelled""#) {
            status = .cancelled
        } else if s.match(#"timed-out""#) {
            status = .timedOut
        } else if s.match(#"crashed""#) {
            status = .crashed
        } else {
            return nil
        }
        guard s.match(#","durationNs":"#), let duration = s.fastUnsigned() else { return nil }
        var slow = false
        if s.match(#","slowToCancel":"#) {
            guard let value = s.fastBool() else { return nil }
            slow = value
        }
        return .taskEnded(TaskEnded(
            task: TaskID(task), group: GroupID(group), status: status, durationNanoseconds: duration, wasSlowToCancel: slow))
    }

    private static func slowToCancel(_ s: inout JSONScanner) -> Event.Kind? {
        guard let task = s.fastUnsigned(),
              s.match(#","group":"#), let group = s.fastUnsigned(),
              s.match(#","sinceCancelNs":"#), let since = s.fastUnsigned() else { return nil }
        return .slowToCancel(SlowToCancel(task: TaskID(task), group: GroupID(group), sinceCancelNanoseconds: since))
    }

    private static func groupOpened(_ s: inout JSONScanner, _ strings: inout StringTable) throws(LineFailure) -> Event.Kind? {
        guard let group = s.fastUnsigned(),
              s.match(#","name":"#), let name = try s.fastString(&strings) else { return nil }
        var parentTask: TaskID?
        if s.match(#","parentTask":"#) {
            guard let value = s.fastUnsigned() else { return nil }
            parentTask = TaskID(value)
        }
        var parentGroup: GroupID?
        if s.match(#","parentGroup":"#) {
            guard let value = s.fastUnsigned() else { return nil }
            parentGroup = GroupID(value)
        }
        guard s.match(#","site":"#), let site = try site(&s, &strings),
              s.match(#","policy":""#) else { return nil }
        let policy: FailurePolicy
        if s.match(#"cancel-on-first-fault""#) {
            policy = .cancelOnFirstFault
        } else if s.match(#"collect-all""#) {
            policy = .collectAll
        } else {
            return nil
        }
        var limit: Int?
        if s.match(#","limit":"#) {
            guard let value = s.fastInt() else { return nil }
            limit = value
        }
        return .groupOpened(GroupOpened(
            group: GroupID(group), name: name, parentTask: parentTask, parentGroup: parentGroup,
            site: site, policy: policy, limit: limit))
    }

    private static func groupClosed(_ s: inout JSONScanner) -> Event.Kind? {
        guard let group = s.fastUnsigned(), s.match(#","outcome":""#) else { return nil }
        let outcome: GroupClosed.Outcome
        if s.match(#"ok""#) {
            outcome = .ok
        } else if s.match(#"faulted""#) {
            outcome = .faulted
        } else if s.match(#"cancelled""#) {
            outcome = .cancelled
        } else {
            return nil
        }
        guard s.match(#","faultCount":"#), let faultCount = s.fastInt(),
              s.match(#","childCount":"#), let childCount = s.fastInt() else { return nil }
        var cancellation: CancellationCause?
        if s.match(#","cancellation":{"cause":""#) {
            if s.match(#"fault","task":"#) {
                guard let task = s.fastUnsigned() else { return nil }
                cancellation = .fault(TaskID(task))
            } else if s.match(#"parent-cancelled""#) {
                cancellation = .parentCancelled
            } else if s.match(#"requested","shutdown":"graceful""#) {
                cancellation = .gracefulShutdown
            } else if s.match(#"requested""#) {
                cancellation = .requested
            } else {
                return nil
            }
            guard s.match("}") else { return nil }
        }
        return .groupClosed(GroupClosed(
            group: GroupID(group), outcome: outcome, faultCount: faultCount, childCount: childCount,
            cancellation: cancellation))
    }

    private static func fault(_ s: inout JSONScanner, _ strings: inout StringTable) throws(LineFailure) -> Event.Kind? {
        guard let task = s.fastUnsigned(),
              s.match(#","taskName":"#), let taskName = try s.fastString(&strings),
              s.match(#","group":"#), let group = s.fastUnsigned(),
              s.match(#","groupName":"#), let groupName = try s.fastString(&strings),
              s.match(#","site":"#), let site = try site(&s, &strings),
              s.match(#","kind":""#) else { return nil }
        let kind: FaultKind
        if s.match(#"error""#) {
            kind = .error
        } else if s.match(#"timeout""#) {
            kind = .timeout
        } else if s.match(#"cancelled""#) {
            kind = .cancelled
        } else if s.match(#"crash""#) {
            kind = .crash
        } else {
            return nil
        }
        guard s.match(#","errorType":"#), let errorType = try s.fastString(&strings),
              s.match(#","message":"#), let message = try s.fastString(&strings),
              s.match(#","startedAt":"#), let startedAt = s.fastUnsigned(),
              s.match(#","endedAt":"#), let endedAt = s.fastUnsigned(),
              s.match(#","stackOrigin":"#), let stackOrigin = try s.fastString(&strings),
              s.match(#","stack":["#), let stack = try stack(&s, &strings) else { return nil }
        var signal: Int32?
        if s.match(#","signal":"#) {
            guard let value = s.fastUnsigned(), value <= UInt64(Int32.max) else { return nil }
            signal = Int32(value)
        }
        return .faultRecorded(FaultInfo(
            task: TaskID(task), taskName: taskName, group: GroupID(group), groupName: groupName,
            site: site, kind: kind, errorType: errorType, message: message,
            startedAt: MonotonicTime(nanoseconds: startedAt), endedAt: MonotonicTime(nanoseconds: endedAt),
            stackOrigin: StackOrigin(rawValue: stackOrigin), stack: stack, signal: signal))
    }

    private static func heartbeat(_ s: inout JSONScanner) -> Event.Kind? {
        guard s.match(#"heartbeat","produced":"#), let produced = s.fastUnsigned(),
              s.match(#","dropped":"#), let dropped = s.fastUnsigned() else { return nil }
        var viewers: Int?
        if s.match(#","viewers":"#) {
            guard let value = s.fastInt() else { return nil }
            viewers = value
        }
        return .heartbeat(Heartbeat(produced: produced, dropped: dropped, viewers: viewers))
    }

    // MARK: Nested values

    /// Reads `{"file":…,"line":…}`.
    @inline(__always)
    private static func site(_ s: inout JSONScanner, _ strings: inout StringTable) throws(LineFailure) -> SourceSite? {
        guard s.match(#"{"file":"#), let file = try s.fastString(&strings),
              s.match(#","line":"#), let line = s.fastUInt32(), s.match("}") else { return nil }
        return SourceSite(file: file, line: line)
    }

    /// Reads the frames of a stack whose `[` has been read, and its `]`. More frames than
    /// the general parser keeps is a mismatch: it drops the rest, and this does not.
    private static func stack(_ s: inout JSONScanner, _ strings: inout StringTable) throws(LineFailure) -> [StackFrame]? {
        var frames: [StackFrame] = []
        if s.match("]") { return frames }
        // Room for a typical stack at once, instead of growing through 1, 2 and 4 frames.
        frames.reserveCapacity(8)
        repeat {
            guard frames.count < WireFormat.maxStackFrames,
                  s.match(#"{"symbol":"#), let symbol = try s.fastString(&strings) else { return nil }
            var file: String?
            if s.match(#","file":"#) {
                guard let value = try s.fastString(&strings) else { return nil }
                file = value
            }
            var line: UInt32 = 0
            if s.match(#","line":"#) {
                guard let value = s.fastUInt32() else { return nil }
                line = value
            }
            guard s.match("}") else { return nil }
            frames.append(StackFrame(symbol: symbol, file: file, line: line))
        } while s.match(",")
        guard s.match("]") else { return nil }
        return frames
    }
}

extension JSONScanner {
    /// Consumes `text` if the next bytes are exactly it (no whitespace skipped).
    @inline(__always)
    mutating func match(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard end - position >= count,
              UnsafeBufferPointer(start: base + position, count: count).equals(text) else { return false }
        position += count
        return true
    }

    /// Reads an unsigned integer as the encoder writes it: 1 to 19 digits, no leading zero.
    /// Anything else is nil, for the general parser to judge.
    ///
    /// Counts the digits of eight bytes at once and converts them with three multiplications
    /// (``UInt64/leadingDigitCount``, ``UInt64/digitsValue``): one or two words cover every
    /// number up to fifteen digits. Nineteen digits always fit in `UInt64`, so no step needs
    /// an overflow check. The caller matches the byte after the number (`,` or `}`), so a
    /// fraction or an exponent never passes.
    @inline(__always)
    mutating func fastUnsigned() -> UInt64? {
        let zeros: UInt64 = 0x3030_3030_3030_3030
        if end - position >= 8 {
            let raw = UnsafeRawPointer(base + position)
            let word = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            let count = word.leadingDigitCount
            if count < 8 {
                guard count > 0, count == 1 || base[position] != UInt8(ascii: "0") else { return nil }
                position += count
                return ((word &- zeros) &<< UInt64(8 &* (8 &- count))).digitsValue
            }
            if end - position >= 16, base[position] != UInt8(ascii: "0") {
                let next = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                let more = next.leadingDigitCount
                if more < 8 {
                    let high = (word &- zeros).digitsValue
                    position += 8 &+ more
                    guard more > 0 else { return high }
                    let low = ((next &- zeros) &<< UInt64(8 &* (8 &- more))).digitsValue
                    return high &* Self.powerOf10(more) &+ low
                }
            }
        }
        return slowUnsigned()
    }

    /// ``fastUnsigned()`` a byte at a time, near the end of the line or past fifteen digits.
    private mutating func slowUnsigned() -> UInt64? {
        let first = position
        var index = position
        var value: UInt64 = 0
        while index < end, case let digit = base[index] &- UInt8(ascii: "0"), digit < 10 {
            value = value &* 10 &+ UInt64(digit)
            index += 1
        }
        let count = index - first
        guard count > 0, count < 20, count == 1 || base[first] != UInt8(ascii: "0") else { return nil }
        position = index
        return value
    }

    /// 10 to the `exponent` (1 to 7).
    @inline(__always)
    private static func powerOf10(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        default: 10_000_000
        }
    }

    /// ``fastUnsigned()`` for an `Int` field; a negative value is left to the general parser.
    @inline(__always)
    mutating func fastInt() -> Int? {
        guard let value = fastUnsigned(), value <= UInt64(Int.max) else { return nil }
        return Int(value)
    }

    @inline(__always)
    mutating func fastUInt32() -> UInt32? {
        guard let value = fastUnsigned(), value <= UInt64(UInt32.max) else { return nil }
        return UInt32(value)
    }

    @inline(__always)
    mutating func fastBool() -> Bool? {
        if match("true") { return true }
        if match("false") { return false }
        return nil
    }

    /// Reads a string whose `"` is next, through `strings`; nil when something else is next.
    /// Escapes are resolved and bad UTF-8 repaired exactly as ``readString()`` does.
    @inline(__always)
    mutating func fastString(_ strings: inout StringTable) throws(LineFailure) -> String? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let token = try readRawString()
        if token.isEscaped {
            return scratch.withUnsafeBufferPointer { strings.string($0) }
        }
        return strings.string(UnsafeBufferPointer(start: base + token.start, count: token.count))
    }
}

/// Recently decoded strings, so that a string a stream repeats (a site's file, a task's or a
/// group's name, a stack's symbols) is built once and shared, instead of allocated again
/// for every line.
///
/// A small direct-mapped table, keyed by a hash of the bytes. A hit is an exact byte compare
/// with the cached string's UTF-8, so it returns exactly what `String(decoding:as:)` would
/// (bytes that need repair never match their repaired string, and are built every time).
/// Strings under 8 bytes are built directly (they are small strings, never allocated), and
/// strings over ``maxBytes`` too, so the table holds at most `slotCount × maxBytes` bytes.
struct StringTable: Sendable {
    static let slotBits = 8
    static var slotCount: Int { 1 << slotBits }
    static let minBytes = 8
    static let maxBytes = 256

    private var hashes: [UInt64]
    private var strings: [String]

    init() {
        hashes = Array(repeating: 0, count: Self.slotCount)
        strings = Array(repeating: "", count: Self.slotCount)
    }

    /// `String(decoding: bytes, as: UTF8.self)`, shared with an earlier call when it can be.
    @inline(__always)
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count >= Self.minBytes, bytes.count <= Self.maxBytes else { return String(decoding: bytes, as: UTF8.self) }
        return lookUp(bytes)
    }

    private mutating func lookUp(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        // `count >= minBytes`, so the buffer has a base and both loads are inside it.
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        let head = raw.loadUnaligned(as: UInt64.self)
        let tail = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        let hash = ((head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &+ UInt64(truncatingIfNeeded: count))) &* 0xBF58_476D_1CE4_E5B9
        let slot = Int(truncatingIfNeeded: hash >> (64 - UInt64(Self.slotBits)))
        if hashes[slot] == hash {
            var cached = strings[slot]
            if cached.withUTF8({ $0.count == count && Self.equal($0.baseAddress!, raw, count: count) }) {
                return cached
            }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        hashes[slot] = hash
        strings[slot] = string
        return string
    }

    /// Whether `count` (at least 8) bytes at `a` and `b` are equal, eight at a time.
    @inline(__always)
    private static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafeRawPointer, count: Int) -> Bool {
        let a = UnsafeRawPointer(a)
        var offset = 0
        while offset + 8 < count {
            guard a.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset += 8
        }
        return a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }
}
