import GroupEvents
import PropertyBased

/// Strings chosen to break a JSON writer or a terminal: every JSON escape, C0 and C1
/// controls, DEL, escape sequences, bidi overrides, emoji with joiners, CJK, NUL.
let hostileFragments: [String] = [
    "\"", "\\", "/", "\u{08}", "\u{0C}", "\n", "\r", "\t", "\u{00}", "\u{01}", "\u{1F}", "\u{7F}",
    "\u{80}", "\u{85}", "\u{9B}", "\u{9F}", "\u{1B}[31m", "\u{1B}]0;pwned\u{07}", "\u{1B}[2J",
    "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}", "\u{200F}", "\u{2028}", "\u{2029}",
    "😀", "👩‍👩‍👧", "🏳️‍🌈", "漢字", "日本語テキスト", "e\u{301}", "\u{FEFF}", "\u{FFFD}", "\u{10FFFF}",
    "\\u0000", "\\ud83d", "}", "{", "\",\"seq\":", "plain", " ",
]

/// A string of hostile fragments and random scalars from the whole Unicode range.
func hostileString(using rng: inout any SeededRandomNumberGenerator, maxPieces: Int = 8) -> String {
    var result = ""
    for _ in 0..<Int.random(in: 0...maxPieces, using: &rng) {
        if Bool.random(using: &rng) {
            result += hostileFragments.randomElement(using: &rng) ?? ""
        } else if let scalar = Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &rng)) {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// Integers near the edges more often than not: 0, 1, the maximum, and anything.
func edgy<T: FixedWidthInteger>(_: T.Type, using rng: inout any SeededRandomNumberGenerator) -> T {
    switch Int.random(in: 0..<5, using: &rng) {
    case 0: return 0
    case 1: return T.max
    case 2: return T.min
    case 3: return T.random(in: 0...100, using: &rng)
    default: return T.random(in: T.min...T.max, using: &rng)
    }
}

func randomSite(using rng: inout any SeededRandomNumberGenerator) -> SourceSite {
    SourceSite(file: hostileString(using: &rng), line: edgy(UInt32.self, using: &rng))
}

/// A random event of any kind, with hostile strings and edge-case numbers.
func randomEvent(using rng: inout any SeededRandomNumberGenerator) -> Event {
    func text() -> String { hostileString(using: &rng) }
    func u64() -> UInt64 { edgy(UInt64.self, using: &rng) }
    func optional<T>(_ make: () -> T) -> T? { Bool.random(using: &rng) ? make() : nil }
    let kind: Event.Kind
    switch Int.random(in: 0..<10, using: &rng) {
    case 0:
        kind = .groupOpened(GroupOpened(
            group: GroupID(u64()), name: text(), parentTask: optional { TaskID(u64()) },
            parentGroup: optional { GroupID(u64()) }, site: randomSite(using: &rng),
            policy: FailurePolicy.allCases.randomElement(using: &rng)!, limit: optional { edgy(Int.self, using: &rng) }))
    case 1:
        let causes: [CancellationCause?] = [nil, .parentCancelled, .requested, .gracefulShutdown, .fault(TaskID(u64()))]
        kind = .groupClosed(GroupClosed(
            group: GroupID(u64()), outcome: GroupClosed.Outcome.allCases.randomElement(using: &rng)!,
            faultCount: edgy(Int.self, using: &rng), childCount: edgy(Int.self, using: &rng),
            cancellation: causes.randomElement(using: &rng)!))
    case 2:
        kind = .taskSpawned(TaskSpawned(
            task: TaskID(u64()), group: GroupID(u64()), name: text(), site: randomSite(using: &rng),
            isolated: Bool.random(using: &rng)))
    case 3:
        kind = .taskStarted(TaskStarted(task: TaskID(u64()), group: GroupID(u64()), waitedNanoseconds: u64()))
    case 4:
        kind = .taskEnded(TaskEnded(
            task: TaskID(u64()), group: GroupID(u64()), status: TaskStatus.allCases.randomElement(using: &rng)!,
            durationNanoseconds: u64(), wasSlowToCancel: Bool.random(using: &rng)))
    case 5:
        let frames = (0..<Int.random(in: 0...WireFormat.maxStackFrames, using: &rng)).map { _ in
            StackFrame(symbol: text(), file: optional { text() }, line: edgy(UInt32.self, using: &rng))
        }
        kind = .faultRecorded(FaultInfo(
            task: TaskID(u64()), taskName: text(), group: GroupID(u64()), groupName: text(),
            site: randomSite(using: &rng), kind: FaultKind.allCases.randomElement(using: &rng)!,
            errorType: text(), message: text(), startedAt: MonotonicTime(nanoseconds: u64()),
            endedAt: MonotonicTime(nanoseconds: u64()), stackOrigin: StackOrigin(rawValue: text()), stack: frames,
            signal: optional { edgy(Int32.self, using: &rng) }))
    case 6:
        kind = .slowToCancel(SlowToCancel(task: TaskID(u64()), group: GroupID(u64()), sinceCancelNanoseconds: u64()))
    case 7:
        kind = .dropped(Dropped(count: u64()))
    case 8:
        let frames = (0..<Int.random(in: 0...WireFormat.maxStackFrames, using: &rng)).map { _ in StackFrame(symbol: text()) }
        kind = .processCrashed(ProcessCrashed(
            signal: edgy(Int32.self, using: &rng), signalName: text(), reason: text(),
            task: optional { TaskID(u64()) }, group: optional { GroupID(u64()) }, thread: edgy(Int32.self, using: &rng),
            address: optional { u64() }, stack: frames,
            images: (0..<Int.random(in: 0...3, using: &rng)).map { _ in LoadedImage(path: text(), base: u64(), size: u64()) }))
    default:
        kind = .heartbeat(Heartbeat(produced: u64(), dropped: u64(), viewers: optional { edgy(Int.self, using: &rng) }))
    }
    return Event(time: MonotonicTime(nanoseconds: u64()), kind)
}

extension Gen where Value == Event {
    /// Random events of every kind, with hostile strings.
    static var event: Generator<Event, Shrink.None<Event>> {
        Generator { rng in randomEvent(using: &rng) }
    }
}

let sampleHeader = WireHeader(service: "checkout", pid: 4242, epochUnixNanoseconds: 1_767_225_600_000_000_000)

/// A header and `events` as one stream, numbered from 1.
func encodeStream(_ events: [Event], header: WireHeader? = sampleHeader) -> [UInt8] {
    let encoder = WireEncoder()
    var bytes: [UInt8] = []
    if let header { encoder.encodeHeader(header, into: &bytes) }
    for (index, event) in events.enumerated() { encoder.encode(event, seq: UInt64(index + 1), into: &bytes) }
    return bytes
}

func encodeLine(_ event: Event, seq: UInt64 = 1) -> String {
    var bytes: [UInt8] = []
    WireEncoder().encode(event, seq: seq, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

/// Decodes `text` in one go, ending its last line with a newline if it has none (tests of
/// torn lines call ``WireDecoder/decode(_:maxLineLength:)`` themselves).
func decode(_ text: String, maxLineLength: Int = WireFormat.defaultMaxLineLength) throws -> (records: [WireRecord], counters: WireDecoder.Counters) {
    try WireDecoder.decode(Array((text.hasSuffix("\n") ? text : text + "\n").utf8), maxLineLength: maxLineLength)
}

extension [WireRecord] {
    var events: [Event] { compactMap { if case .event(_, let event) = $0 { event } else { nil } } }
    var diagnostics: [WireDiagnostic] { compactMap { if case .diagnostic(let d) = $0 { d } else { nil } } }
    var headers: [WireHeader] { compactMap { if case .header(let h) = $0 { h } else { nil } } }
}

let headerLine = #"{"format":"safegroup-events","version":"1.5","service":"checkout","pid":4242,"epochUnixNs":1767225600000000000,"clock":"monotonic-ns"}"#

/// A `task.started` line, for streams written by hand.
func startedLine(seq: Int, task: Int = 7) -> String {
    #"{"seq":\#(seq),"t":1000,"type":"task.started","task":\#(task),"group":1,"waitedNs":0}"#
}

let fixedSite = SourceSite(file: "Checkout/Handler.swift", line: 57)
