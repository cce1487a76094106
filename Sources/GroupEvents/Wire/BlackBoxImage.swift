/// A black box file: the ring of a service's most recent wire lines, kept in a memory-mapped
/// file that outlives the process, and what a reader makes of it.
///
/// The file is a header page of its own, then the ring. Every number is little-endian:
///
/// | offset | size | field |
/// |-------:|-----:|-------|
/// | 0 | 8 | magic `SGBLKBOX` |
/// | 8 | 4 | layout version, 2 (a version 1 box has no age bound) |
/// | 12 | 4 | header bytes (where the ring starts), 4096 |
/// | 16 | 8 | ring capacity in bytes |
/// | 24 | 8 | head: bytes ever written; the next byte goes at `head % capacity` |
/// | 32 | 4 | state: 1 running, 2 crashed (the last gasp wrote its event) |
/// | 36 | 4 | the crash's signal, when crashed |
/// | 40 | 4 | the service's pid |
/// | 44 | 4 | the header line's length |
/// | 48 | 8 | when the box was opened, ns since the Unix epoch |
/// | 56 | 8 | writing: where the write under way ends (stored before its bytes, `head` after) |
/// | 64 | ≤ 4024 | the stream's header line (``WireHeader``), newline included |
/// | 4088 | 8 | the age bound in ns: a reader keeps only the lines at most this much older than the newest; 0, none |
///
/// The ring holds whole wire lines, the same bytes viewers receive. Once `head` passes the
/// capacity, the oldest line is partly overwritten: a reader starts at the first newline after
/// the wrap point (`head % capacity`) and reads to it around the ring. The writer stores
/// `writing` before it copies and `head` after, so what lies before `head` is whole; a process
/// killed in the middle of a copy leaves `writing` past `head`, and the bytes between may be
/// half-written over the oldest lines, which the reader then skips too. The one exception: the
/// last gasp writing over a line the monitor was still copying (the crash line starts with a
/// newline, so the torn piece reads as one malformed line). A clean shutdown removes the file.
///
/// The box is bounded by size (the ring) and by age: a reader, and a snapshot, keep only the
/// lines whose time (`t`) is at most the age bound older than the newest line's, so a quiet
/// service's box does not replay hours-old events. Older lines stay in the ring's bytes until
/// they are overwritten; nothing reads them.
public struct BlackBoxImage: Sendable {
    /// `SGBLKBOX`.
    public static let magic: [UInt8] = Array("SGBLKBOX".utf8)
    /// The layout this build writes and reads.
    public static let layoutVersion: UInt32 = 2
    /// The header page's size: the ring starts here.
    public static let headerBytes = 4096
    /// Where the header line starts, and the most bytes it may take.
    public static let headerLineOffset = 64
    public static let headerLineLimit = headerBytes - headerLineOffset - 8
    /// The fields' offsets (see the table above).
    public enum Offset {
        public static let version = 8, headerBytes = 12, capacity = 16, head = 24, state = 32
        public static let signal = 36, pid = 40, headerLineLength = 44, started = 48, writing = 56
        /// Since layout version 2.
        public static let maxAge = 4088
    }
    /// The file name's extension.
    public static let fileExtension = ".blackbox"

    /// What the box says about how its process ended.
    public enum State: UInt32, Sendable {
        /// Written to until the end: the process is alive, or died without a word (`SIGKILL`,
        /// the OOM killer, a crash without the crash handler).
        case running = 1
        /// The last gasp wrote a `process.crashed` event into the ring.
        case crashed = 2
    }

    /// Why bytes are not a black box.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public var state: State
    /// The signal of the crash, when ``state`` is ``State/crashed``.
    public var signal: Int32
    public var pid: Int32
    /// When the box was opened, in ns since the Unix epoch.
    public var startedUnixNanoseconds: Int64
    public var capacity: Int
    /// Bytes ever written: more than ``capacity`` when the ring wrapped.
    public var head: UInt64
    /// The age bound, ns: ``lines`` leaves out what is older than that before the newest line.
    /// 0: none (a version 1 box).
    public var maxAgeNanoseconds: UInt64
    /// The stream's header line.
    public var headerLine: [UInt8]
    /// The ring's lines in order, oldest first, the partial oldest line of a wrapped ring left out.
    public var lines: [UInt8]

    /// Whether the ring wrapped: the oldest events were overwritten.
    public var wrapped: Bool { head > UInt64(capacity) }
    /// Whether the process died in the middle of writing to the ring (the bytes it was writing
    /// were left out).
    public var diedMidWrite: Bool

    /// True when `bytes` start with the black box magic.
    public static func isBlackBox(_ prefix: some Collection<UInt8>) -> Bool {
        prefix.count >= magic.count && prefix.prefix(magic.count).elementsEqual(magic)
    }

    /// Reads a black box file's bytes.
    ///
    /// - Throws: ``Malformed`` naming what is wrong: not a black box, another layout version,
    ///   a header or ring that does not fit the file.
    public init(_ bytes: [UInt8]) throws(Malformed) {
        guard Self.isBlackBox(bytes) else { throw Malformed(description: "not a black box (no SGBLKBOX magic)") }
        guard bytes.count >= Self.headerBytes else {
            throw Malformed(description: "a black box of \(bytes.count) bytes, shorter than its \(Self.headerBytes)-byte header")
        }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        let version = u32(Offset.version)
        guard version == 1 || version == Self.layoutVersion else {
            throw Malformed(description: "black box layout version \(version); this build reads versions 1 and \(Self.layoutVersion) (use a safegroup of the service's version)")
        }
        let dataStart = Int(u32(Offset.headerBytes))
        let capacity = u64(Offset.capacity)
        guard dataStart == Self.headerBytes, capacity > 0, capacity <= UInt64(bytes.count - dataStart) else {
            throw Malformed(description: "black box ring of \(capacity) bytes at \(dataStart) does not fit its \(bytes.count)-byte file")
        }
        let lineLength = Int(u32(Offset.headerLineLength))
        let lineLimit = version == 1 ? Self.headerBytes - Self.headerLineOffset : Self.headerLineLimit
        guard lineLength > 0, lineLength <= lineLimit else {
            throw Malformed(description: "black box header line of \(lineLength) bytes (at most \(lineLimit))")
        }
        let maxAge = version == 1 ? 0 : u64(Offset.maxAge)
        maxAgeNanoseconds = maxAge
        state = State(rawValue: u32(Offset.state)) ?? .running
        signal = Int32(bitPattern: u32(Offset.signal))
        pid = Int32(bitPattern: u32(Offset.pid))
        startedUnixNanoseconds = Int64(bitPattern: u64(Offset.started))
        self.capacity = Int(capacity)
        head = u64(Offset.head)
        headerLine = Array(bytes[Self.headerLineOffset..<(Self.headerLineOffset + lineLength)])
        if headerLine.last != UInt8(ascii: "\n") { headerLine.append(UInt8(ascii: "\n")) }

        let head = u64(Offset.head), writing = u64(Offset.writing)
        diedMidWrite = writing > head
        var ordered: [UInt8] = []
        bytes.withUnsafeBytes { raw in
            let ring = UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + Int(capacity))])
            let ranges = Self.lineRanges(ring: ring, head: head, writing: writing, maxAgeNanoseconds: maxAge)
            ordered.reserveCapacity(ranges.reduce(0) { $0 + $1.count })
            for range in ranges { ordered.append(contentsOf: UnsafeRawBufferPointer(rebasing: ring[range])) }
        }
        lines = ordered
    }

    /// The box as an ordinary recording: the header line, then the ring's lines.
    public var recording: [UInt8] { headerLine + lines }

    /// Where the whole lines of `ring` (a ring of `ring.count` bytes, `head` bytes ever
    /// written, a write under way up to `writing`) lie, oldest first: at most two ranges of
    /// offsets into `ring`, read in order. The reader's rule, for a file's bytes and for the
    /// live mapping alike: the last `capacity` bytes before the end of any write under way, up
    /// to `head`, from the first newline past the wrap point when the ring wrapped; with an age
    /// bound, from the first line whose `t` is at most `maxAgeNanoseconds` before the newest.
    public static func lineRanges(ring: UnsafeRawBufferPointer, head: UInt64, writing: UInt64,
                                  maxAgeNanoseconds: UInt64 = 0) -> [Range<Int>] {
        let capacity = UInt64(ring.count)
        guard capacity > 0 else { return [] }
        let writing = max(writing, head)
        let lower = writing > capacity ? writing - capacity : 0
        guard lower < head else { return [] }
        let from = Int(lower % capacity), to = Int(head % capacity)
        var ranges = from < to ? [from..<to] : [from..<Int(capacity), 0..<to]
        if lower > 0 {
            // The oldest line was partly overwritten: start after its end.
            while let first = ranges.first {
                if let newline = ring[first].firstIndex(of: UInt8(ascii: "\n")) {
                    ranges[0] = (newline + 1)..<first.upperBound
                    break
                }
                ranges.removeFirst()
            }
        }
        ranges = ranges.filter { !$0.isEmpty }
        return maxAgeNanoseconds > 0 ? cut(ranges, of: ring, toAge: maxAgeNanoseconds) : ranges
    }

    /// `ranges` (the ring's lines, oldest first; a line may continue from the first range into
    /// the second) from the first line whose time is at most `maxAge` before the newest line's.
    /// Lines without a readable time (torn, empty) before that line go with the old ones.
    static func cut(_ ranges: [Range<Int>], of ring: UnsafeRawBufferPointer, toAge maxAge: UInt64) -> [Range<Int>] {
        let total = ranges.reduce(0) { $0 + $1.count }
        // Logical offset → ring offset, across the two ranges.
        func byte(_ at: Int) -> UInt8 {
            at < ranges[0].count ? ring[ranges[0].lowerBound + at] : ring[ranges[1].lowerBound + at - ranges[0].count]
        }
        // Every line's start and time, in one pass.
        var starts: [(offset: Int, time: UInt64?)] = []
        var lineStart = 0
        for offset in 0...total where offset == total || byte(offset) == UInt8(ascii: "\n") {
            if offset > lineStart { starts.append((lineStart, time(ofLineAt: lineStart, end: offset, byte))) }
            lineStart = offset + 1
        }
        guard let newest = starts.compactMap(\.time).max(), newest > maxAge else { return ranges }
        let oldest = newest - maxAge
        guard let first = starts.first(where: { ($0.time ?? 0) >= oldest }), first.offset > 0 else { return ranges }
        // Drop `first.offset` logical bytes.
        var drop = first.offset
        var kept: [Range<Int>] = []
        for range in ranges {
            if drop >= range.count { drop -= range.count; continue }
            kept.append((range.lowerBound + drop)..<range.upperBound)
            drop = 0
        }
        return kept
    }

    /// The `t` of a wire line `{"seq":N,"t":T,…` (the order every writer keeps), nil for any other line.
    private static func time(ofLineAt start: Int, end: Int, _ byte: (Int) -> UInt8) -> UInt64? {
        var at = start
        func expect(_ text: StaticString) -> Bool {
            for expected in UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) {
                guard at < end, byte(at) == expected else { return false }
                at += 1
            }
            return true
        }
        func number() -> UInt64? {
            var value: UInt64 = 0
            let first = at
            while at < end, case let digit = byte(at), digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9"), at - first < 20 {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                value = sum
                at += 1
            }
            return at > first ? value : nil
        }
        guard expect(#"{"seq":"#), number() != nil, expect(#","t":"#) else { return nil }
        return number()
    }
}

/// Where black boxes live, and what they are called: the one rule, for the monitor that writes
/// them and the tools that find them.
public enum BlackBoxPlace {
    /// `$XDG_STATE_HOME/safegroup` when `XDG_STATE_HOME` is an absolute path, else
    /// `$HOME/.local/state/safegroup`; nil when neither is set.
    public static func directory(environment: (String) -> String?) -> String? {
        if let state = environment("XDG_STATE_HOME"), state.hasPrefix("/") {
            return state.hasSuffix("/") ? "\(state)safegroup" : "\(state)/safegroup"
        }
        if let home = environment("HOME"), home.hasPrefix("/") {
            return home.hasSuffix("/") ? "\(home).local/state/safegroup" : "\(home)/.local/state/safegroup"
        }
        return nil
    }

    /// `<service>-<pid>-<start>.blackbox`: the socket's name (`<service>-<pid>`), and the
    /// start time in seconds since the Unix epoch, so that a reused pid never writes over
    /// the box of the process that had it before. `stem` is the socket's file name without `.sock`.
    public static func fileName(socketStem stem: String, startedUnixSeconds: Int64) -> String {
        "\(stem)-\(startedUnixSeconds)\(BlackBoxImage.fileExtension)"
    }

    /// `<box>-snapshot-<ms>[-<n>].ndjson`: a snapshot of the box `<box>.blackbox`, taken at
    /// `<ms>` since the Unix epoch (`n` tells apart those of one millisecond).
    public static func snapshotName(boxStem: String, unixMilliseconds: UInt64, attempt: Int = 0) -> String {
        attempt == 0 ? "\(boxStem)-snapshot-\(unixMilliseconds).ndjson" : "\(boxStem)-snapshot-\(unixMilliseconds)-\(attempt).ndjson"
    }

    /// `<box>` of a name ``snapshotName(boxStem:unixMilliseconds:attempt:)`` makes; nil for any
    /// other name.
    public static func boxStem(ofSnapshot name: Substring) -> Substring? {
        let suffix = ".ndjson", marker = "-snapshot-"
        guard name.hasSuffix(suffix) else { return nil }
        let bare = name.dropLast(suffix.count)
        // The last "-snapshot-": a box's own name may hold one.
        var cut = bare.endIndex
        while cut > bare.startIndex, !bare[cut...].hasPrefix(marker) { cut = bare.index(before: cut) }
        guard bare[cut...].hasPrefix(marker) else { return nil }
        let box = bare[..<cut]
        let stamp = bare[bare.index(cut, offsetBy: marker.count)...].split(separator: "-", omittingEmptySubsequences: false)
        guard !box.isEmpty, !box.hasPrefix("."), (1...2).contains(stamp.count),
              stamp.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        return box
    }
}
