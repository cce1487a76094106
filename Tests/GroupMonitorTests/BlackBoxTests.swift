import CSafeGroupSystem
import Foundation
import GroupEvents
import MonitorClient
@testable import GroupMonitor
import Testing
import Glibc
import SystemCalls
import TestSupport

/// The black box in-process: its settings, its ring against a reader, its rotation, and a
/// monitor that keeps one.
@Suite("Black box")
struct BlackBoxTests {
    static let header = Array(#"{"format":"safegroup-events","version":"1.3","service":"box","pid":1,"epoch":0,"clock":"monotonic"}"#.utf8) + [10]

    static func settings(_ value: String?, bytes: Int = 0, directory: String? = nil) -> BlackBox.Settings? {
        try? BlackBox.Settings.resolve(bytes: bytes, directory: directory, environment: value).get()
    }

    @Test func environmentOverridesTheConfiguration() throws {
        #expect(Self.settings(nil) == nil, "off unless asked for")
        #expect(Self.settings(nil, bytes: 1 << 20) == .init(bytes: 1 << 20, directory: nil))
        #expect(Self.settings("off", bytes: 1 << 20) == nil)
        #expect(Self.settings("0", bytes: 1 << 20) == nil)
        #expect(Self.settings("on") == .init(bytes: 8 << 20, directory: nil))
        #expect(Self.settings("on", bytes: 1 << 20) == .init(bytes: 1 << 20, directory: nil))
        #expect(Self.settings("16M") == .init(bytes: 16 << 20, directory: nil))
        #expect(Self.settings("512KiB") == .init(bytes: 512 << 10, directory: nil))
        #expect(Self.settings("100000") == .init(bytes: 102_400, directory: nil), "whole pages")
        #expect(Self.settings("/var/boxes") == .init(bytes: 8 << 20, directory: "/var/boxes"))
        #expect(Self.settings("/var/boxes", bytes: 1 << 20) == .init(bytes: 1 << 20, directory: "/var/boxes"))
    }

    @Test func unreadableOrOutOfRangeValuesAreRefusedWithAMessage() {
        for value in ["lots", "8X", "-1", "relative/dir"] {
            guard case .failure(let failure) = BlackBox.Settings.resolve(bytes: 0, directory: nil, environment: value) else {
                Issue.record("\(value) was taken")
                continue
            }
            #expect(failure.description.contains("SAFEGROUP_BLACKBOX=\(value)") && failure.description.contains("without a black box"))
        }
        guard case .failure(let small) = BlackBox.Settings.resolve(bytes: 0, directory: nil, environment: "4K") else {
            Issue.record("a 4K ring was taken")
            return
        }
        #expect(small.description.contains("outside 64K"))
    }

    @Test func stateDirectoryFollowsXDG() {
        #expect(BlackBoxPlace.directory(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"].lookup) == "/s/safegroup")
        #expect(BlackBoxPlace.directory(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h/"].lookup) == "/h/.local/state/safegroup")
        #expect(BlackBoxPlace.directory(environment: [:].lookup) == nil)
    }

    /// The ring against a model: every appended chunk goes into a byte string; the box holds
    /// its last lines, whole, in order, from just after the first newline past the wrap point.
    @Test func ringMatchesAModelOfTheStream() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let capacity = 64 << 10
        let box = try BlackBox.open(.init(bytes: capacity, directory: dir.path), stem: "model-1", headerLine: Self.header)
        defer { box.remove() }
        var random = SplitMix64(seed: 42)
        var stream: [UInt8] = []
        var next = 1
        while stream.count < 7 * capacity + 12_345 {
            var chunk: [UInt8] = []
            for _ in 0..<(1 + Int(random.next() % 40)) {
                chunk += Array(#"{"seq":\#(next),"pad":"\#(String(repeating: "y", count: Int(random.next() % 300)))"}"#.utf8) + [10]
                next += 1
            }
            chunk.withUnsafeBytes { box.append($0) }
            stream += chunk
        }
        let image = try BlackBoxImage([UInt8](Data(contentsOf: URL(fileURLWithPath: box.path))))
        #expect(image.head == UInt64(stream.count))
        let tail = stream.suffix(capacity)
        let expected = Array(tail.drop { $0 != 10 }.dropFirst())
        #expect(image.lines == expected)
        // Whole lines, consecutive seqs, ending with the newest.
        let seqs = image.lines.split(separator: 10).map { line in
            Int(String(decoding: line.dropFirst(7).prefix { $0 != UInt8(ascii: ",") }, as: UTF8.self)) ?? -1
        }
        #expect(seqs.last == next - 1)
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $1 == $0 + 1 })
        #expect(box.recording() == Self.header + expected, "a snapshot of the live ring is the same recording")
        guard case .written(let snapshot) = try box.writeSnapshot(now: 1) else {
            Issue.record("no snapshot")
            return
        }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: snapshot))) == Self.header + expected,
                "the snapshot, written from the mapping's spans, is the same recording")
    }

    /// A process killed in the middle of a copy leaves `writing` past `head`: the bytes it was
    /// writing over (the oldest lines) are left out, and the rest still reads.
    @Test func bytesOfAWriteCutShortAreLeftOut() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let capacity = 64 << 10
        let box = try BlackBox.open(.init(bytes: capacity, directory: dir.path), stem: "cut-1", headerLine: Self.header)
        defer { box.remove() }
        var stream: [UInt8] = []
        var seq = 1
        while stream.count < 3 * capacity {
            let line = Array(#"{"seq":\#(seq),"pad":"\#(String(repeating: "z", count: 100 + seq % 77))"}"#.utf8) + [10]
            line.withUnsafeBytes { box.append($0) }
            stream += line
            seq += 1
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: box.path)))
        // As if a 5,000-byte write had begun and the process died.
        let writing = UInt64(stream.count + 5000)
        withUnsafeBytes(of: writing.littleEndian) { bytes.replaceSubrange(56..<64, with: $0) }
        let image = try BlackBoxImage(bytes)
        #expect(image.diedMidWrite)
        let tail = stream.suffix(capacity - 5000)
        #expect(image.lines == Array(tail.drop { $0 != 10 }.dropFirst()))
    }

    /// A box is read from a file anyone could have made: whatever its header says (head,
    /// writing, capacity, lengths), the reader throws or returns lines from within the file.
    @Test func aHostileHeaderNeverTrapsTheReader() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "hostile-1", headerLine: Self.header)
        defer { box.remove() }
        let lines = [UInt8](repeating: UInt8(ascii: "x"), count: 90_000).enumerated().map { $0.offset % 10 == 9 ? 10 : $0.element }
        lines.withUnsafeBytes { box.append($0) }
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: box.path)))
        var random = SplitMix64(seed: 1717)
        let fields = [8, 12, 16, 24, 32, 36, 40, 44, 48, 56]
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let field = fields[Int(random.next() % UInt64(fields.count))]
                let value: UInt64 = switch random.next() % 4 {
                case 0: random.next()
                case 1: UInt64.max - random.next() % 4
                case 2: random.next() % (1 << 17)
                default: 0
                }
                withUnsafeBytes(of: value.littleEndian) { raw in
                    for i in 0..<min(8, 64 - field) { bytes[field + i] = raw[i] }
                }
            }
            if random.next() % 8 == 0 { bytes.removeLast(Int(random.next() % UInt64(bytes.count))) }
            guard let image = try? BlackBoxImage(bytes) else { continue }
            #expect(image.lines.count <= image.capacity && image.capacity <= bytes.count)
            #expect(image.headerLine.count <= BlackBoxImage.headerLineLimit + 1)
        }
    }

    @Test func garbageIsNotABlackBox() {
        #expect(throws: BlackBoxImage.Malformed.self) { try BlackBoxImage(Array("{\"format\":\"safegroup-events\"}\n".utf8)) }
        var short = BlackBoxImage.magic + [UInt8](repeating: 0, count: 100)
        #expect(throws: BlackBoxImage.Malformed.self) { try BlackBoxImage(short) }
        // A capacity beyond the file.
        short = BlackBoxImage.magic + [1, 0, 0, 0, 0, 16, 0, 0] + [0xFF, 0xFF, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 5000)
        let error = #expect(throws: BlackBoxImage.Malformed.self) { try BlackBoxImage(short) }
        #expect(error?.description.contains("does not fit") == true)
    }

    /// Opening a box deletes old dead ones beyond the newest seven (eight with the new one),
    /// and never one a live process holds.
    @Test func openingRotatesOldDeadBoxes() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let now = Int(time(nil))
        for i in 0..<10 {
            let path = dir.file("old-\(i)-1.blackbox")
            FileManager.default.createFile(atPath: path, contents: Data(count: 1000))
            var times = [timespec(tv_sec: now - 1000 + i, tv_nsec: 0), timespec(tv_sec: now - 1000 + i, tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, 0)
        }
        // The oldest of all, but alive: its lock is held.
        let live = dir.file("live-1-1.blackbox")
        FileManager.default.createFile(atPath: live, contents: Data(count: 1000))
        var times = [timespec(tv_sec: now - 5000, tv_nsec: 0), timespec(tv_sec: now - 5000, tv_nsec: 0)]
        utimensat(AT_FDCWD, live, &times, 0)
        let held = try Posix.open(live, flags: O_RDONLY)
        defer { Posix.close(held) }
        #expect(try Posix.tryLockExclusive(held, path: live))

        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "new-1", headerLine: Self.header)
        defer { box.remove() }
        let names = Set(try Posix.directoryEntries(dir.path) ?? [])
        #expect(names == Set((3..<10).map { "old-\($0)-1.blackbox" } + ["live-1-1.blackbox", box.path.split(separator: "/").last.map(String.init)!]))
    }

    /// `{"seq":N,"t":N s,"type":"heartbeat",…}` lines, one a second of stream time.
    static func timedLines(_ seqs: ClosedRange<UInt64>) -> [[UInt8]] {
        seqs.map { Array(#"{"seq":\#($0),"t":\#($0 * 1_000_000_000),"type":"heartbeat","produced":0,"dropped":0}"#.utf8) + [10] }
    }

    @Test func theAgeBoundKeepsWhatIsAtMostThatOldBeforeTheNewestLine() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path, maxAgeNanoseconds: 60_000_000_000),
                                    stem: "aged-1", headerLine: Self.header)
        defer { box.remove() }
        let lines = Self.timedLines(1...100)
        for line in lines { line.withUnsafeBytes { box.append($0) } }
        let image = try BlackBoxImage([UInt8](try Data(contentsOf: URL(fileURLWithPath: box.path))))
        #expect(image.maxAgeNanoseconds == 60_000_000_000)
        #expect(image.lines == Array(lines[39...].joined()), "t = 40 s to 100 s: the last minute before the newest line")
        // A snapshot keeps to the same bound.
        guard case .written(let snapshot) = try box.writeSnapshot(now: 5_000_000_000) else {
            Issue.record("no snapshot")
            return
        }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: snapshot))) == Self.header + Array(lines[39...].joined()))
    }

    @Test func withoutAnAgeBoundTheWholeRingIsRead() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path, maxAgeNanoseconds: 0),
                                    stem: "ageless-1", headerLine: Self.header)
        defer { box.remove() }
        let lines = Self.timedLines(1...100)
        for line in lines { line.withUnsafeBytes { box.append($0) } }
        let image = try BlackBoxImage([UInt8](try Data(contentsOf: URL(fileURLWithPath: box.path))))
        #expect(image.lines == Array(lines.joined()))
    }

    /// Rings of many sizes, so that the lines kept by age begin before the ring's end and go on
    /// at its start in some of them; torn and foreign lines before the cut go with the old ones.
    @Test func theAgeCutFindsLinesAcrossTheWrapPoint() {
        var stream: [UInt8] = Array("torn tail of a line\n".utf8) + Array("not a wire line\n".utf8)
        let lines = Self.timedLines(1...40)
        for line in lines { stream += line }
        for capacity in stride(from: 1_900, through: 2_600, by: 37) {
            var ring = [UInt8](repeating: 0, count: capacity)
            for (offset, byte) in stream.enumerated() { ring[offset % capacity] = byte }
            let total = UInt64(stream.count)
            let kept: [UInt8] = ring.withUnsafeBytes { raw in
                BlackBoxImage.lineRanges(ring: raw, head: total, writing: total, maxAgeNanoseconds: 10_000_000_000)
                    .flatMap { Array(raw[$0]) }
            }
            #expect(kept == Array(lines[29...].joined()), "capacity \(capacity): t = 30 s to 40 s")
        }
    }

    @Test func agesAreReadInSecondsMinutesAndHours() {
        #expect(BlackBox.Settings.parseAge("60s") == 60_000_000_000)
        #expect(BlackBox.Settings.parseAge("5m") == 300_000_000_000)
        #expect(BlackBox.Settings.parseAge("1h") == 3_600_000_000_000)
        #expect(BlackBox.Settings.parseAge("90") == 90_000_000_000)
        #expect(BlackBox.Settings.parseAge("off") == 0)
        #expect(BlackBox.Settings.parseAge("2d") == nil)
        #expect(BlackBox.Settings.parseAge("25h") == nil)
        #expect(BlackBox.Settings.parseAge("soon") == nil)
    }

    /// Files of `dir` named like a snapshot.
    static func snapshots(in dir: ScratchDirectory) throws -> [String] {
        (try Posix.directoryEntries(dir.path) ?? []).filter { BlackBoxPlace.boxStem(ofSnapshot: Substring($0)) != nil }.sorted()
    }

    /// Requests within a second of a snapshot get that snapshot while it is in place, "busy"
    /// once it was moved away; the next second writes a new one.
    @Test func snapshotsAreWrittenAtMostOnceASecond() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "often-1", headerLine: Self.header)
        defer { box.remove() }
        Array(#"{"seq":1}"#.utf8 + [10]).withUnsafeBytes { box.append($0) }
        let start: UInt64 = 5_000_000_000
        guard case .written(let first) = try box.writeSnapshot(now: start) else {
            Issue.record("no first snapshot")
            return
        }
        #expect(try box.writeSnapshot(now: start + 500_000_000) == .written(first))
        #expect(try Self.snapshots(in: dir).count == 1, "the second request was answered with the first snapshot")
        #expect(rename(first, dir.file("moved.ndjson")) == 0)
        #expect(try box.writeSnapshot(now: start + 900_000_000) == .busy)
        #expect(try Self.snapshots(in: dir).isEmpty)
        guard case .written(let second) = try box.writeSnapshot(now: start + 1_000_000_000) else {
            Issue.record("no snapshot a second later")
            return
        }
        #expect(try Self.snapshots(in: dir).count == 1)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: second))) == Self.header + Array(#"{"seq":1}"#.utf8 + [10]))
    }

    /// Sets the modification time of `path` to `seconds` ago.
    static func age(_ path: String, seconds: Int) {
        let then = Int(time(nil)) - seconds
        var times = [timespec(tv_sec: then, tv_nsec: 0), timespec(tv_sec: then, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }

    /// Snapshots count with the dead boxes: the newest seven files are kept, whatever they are.
    @Test func rotationCountsSnapshots() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        for i in 0..<10 {
            let path = dir.file(BlackBoxPlace.snapshotName(boxStem: "svc-1-1", unixMilliseconds: 1_700_000_000_000 + UInt64(i)))
            FileManager.default.createFile(atPath: path, contents: Data(count: 100))
            Self.age(path, seconds: 100 - i)
        }
        let old = dir.file("svc-1-1.blackbox")
        FileManager.default.createFile(atPath: old, contents: Data(count: 100))
        Self.age(old, seconds: 1000)
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "new-1", headerLine: Self.header)
        defer { box.remove() }
        #expect(try Self.snapshots(in: dir) == (4..<10).map { BlackBoxPlace.snapshotName(boxStem: "svc-1-1", unixMilliseconds: 1_700_000_000_000 + UInt64($0)) },
                "six snapshots and the newest dead box")
        #expect(try Posix.lstat(old) != nil, "the newest dead box is kept")
        // And a snapshot rotates the directory too: none beyond the budget is left.
        for i in 0..<10 {
            let path = dir.file(BlackBoxPlace.snapshotName(boxStem: "other-1-1", unixMilliseconds: 1_600_000_000_000 + UInt64(i)))
            FileManager.default.createFile(atPath: path, contents: Data(count: 100))
            Self.age(path, seconds: 50)
        }
        _ = try box.writeSnapshot(now: 1)
        #expect(try Self.snapshots(in: dir).count == 6, "the new snapshot and five more, with the newest dead box")
        #expect(try Posix.lstat(old) != nil)
    }

    /// A sparse file (`ftruncate`) the size of a large box: no disk used.
    static func sparseBox(_ path: String, bytes: Int, secondsAgo: Int) throws {
        let fd = try Posix.open(path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        #expect(ftruncate(fd, off_t(bytes)) == 0)
        Posix.close(fd)
        age(path, seconds: secondsAgo)
    }

    /// The newest dead box is kept whatever its size; after the first box that does not fit
    /// the byte budget, every older one goes, small or not.
    @Test func rotationKeepsTheNewestDeadBoxAndStopsAtTheFirstThatDoesNotFit() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let huge = BlackBox.retainedBytes + (1 << 20)
        try Self.sparseBox(dir.file("big-1-1.blackbox"), bytes: huge, secondsAgo: 10)
        try Self.sparseBox(dir.file("small-1-1.blackbox"), bytes: 1000, secondsAgo: 20)
        var box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "new-1", headerLine: Self.header)
        box.remove()
        #expect(try Posix.lstat(dir.file("big-1-1.blackbox")) != nil, "the newest dead box, larger than the budget, is kept")
        #expect(try Posix.lstat(dir.file("small-1-1.blackbox")) == nil, "older than a box beyond the budget")

        try Self.sparseBox(dir.file("newest-1-1.blackbox"), bytes: 1000, secondsAgo: 5)
        try Self.sparseBox(dir.file("oldest-1-1.blackbox"), bytes: 1000, secondsAgo: 30)
        box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "new-1", headerLine: Self.header)
        box.remove()
        let names = Set(try Posix.directoryEntries(dir.path) ?? [])
        #expect(names == ["newest-1-1.blackbox"], "the big box does not fit after the newest; it and all older go")
    }

    /// The ring's `head` and `writing`.
    static func marks(_ box: BlackBox) -> (head: UInt64, writing: UInt64) {
        box.withRing { ($0.pointee.head.pointee, $0.pointee.writing.pointee) }
    }

    /// The last gasp claimed bytes past `head` (it is writing its line, from another thread):
    /// the monitor's next chunk writes nothing, and neither `writing` nor `head` is lowered.
    @Test func theMonitorLeavesTheLastGaspsBytesAlone() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "race-1", headerLine: Self.header)
        defer { box.remove() }
        let first = Array(#"{"seq":1}"#.utf8 + [10])
        first.withUnsafeBytes { box.append($0) }
        let head = Self.marks(box).head
        box.withRing { $0.pointee.writing.pointee = head + 200 }
        Array(#"{"seq":2}"#.utf8 + [10]).withUnsafeBytes { box.append($0) }
        #expect(Self.marks(box) == (head, head + 200))
        #expect(box.recording() == Self.header + first, "the chunk was left out")
    }

    /// The monitor was copying a chunk (it claimed 50 bytes past `head`) when the process
    /// crashed: the crash line goes after those bytes, and `writing` is never lowered.
    @Test func theLastGaspWritesAfterTheMonitorsCopy() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: "gasp-1", headerLine: Self.header)
        defer { box.remove() }
        Array(#"{"seq":1}"#.utf8 + [10]).withUnsafeBytes { box.append($0) }
        let head = Self.marks(box).head
        box.withRing { $0.pointee.writing.pointee = head + 50 }
        let crash = Array("\n{\"seq\":3,\"kind\":\"process.crashed\"}\n".utf8)
        box.withRing { ring in crash.withUnsafeBytes { csystem_ring_append_last_gasp(ring, $0.baseAddress, $0.count) } }
        let end = head + 50 + UInt64(crash.count)
        #expect(Self.marks(box) == (end, end))
        let ring = box.withRing { UnsafeRawBufferPointer(start: $0.pointee.data, count: Int($0.pointee.capacity)) }
        #expect(Array(ring[Int(head + 50)..<Int(end)]) == crash, "the crash line follows the bytes the monitor was copying")
    }

    /// Free slots of the SIGUSR1 handler's wake-ups, counted by filling them and letting go.
    static func freeSnapshotSignalSlots() -> Int {
        var taken: [Int32] = []
        while let slot = Posix.wakeOnSnapshotSignal(1 << 20) { taken.append(slot) }
        for slot in taken { Posix.stopWakingOnSnapshotSignal(slot: slot) }
        return taken.count
    }

    /// A loop whose thread never started gives back its SIGUSR1 wake-up slot: else the
    /// handler writes to its closed eventfd (a number the next open file may get).
    @Test func anUnstartedLoopLetsGoOfItsSIGUSR1Slot() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        var configuration = MonitorConfiguration()
        configuration.blackBoxBytes = 64 << 10
        configuration.blackBoxDirectory = dir.file("boxes")
        configuration.blackBoxSnapshotOnSIGUSR1 = true
        try #require(try Posix.installSnapshotSignal(), "SIGUSR1 has a handler of the test runner's own")
        let free = Self.freeSnapshotSignalSlots()
        let listener = try SocketListener.open(path: dir.file("s.sock"))
        let loop = try MonitorLoop(listener: listener, header: WireHeader(service: "unstarted", pid: getpid(), epochUnixNanoseconds: 0),
                                   configuration: configuration, recorder: nil, reporter: { _ in })
        #expect(Self.freeSnapshotSignalSlots() == free - 1, "the loop took a slot")
        loop.closeUnstarted()
        listener.remove()
        #expect(Self.freeSnapshotSignalSlots() == free)
    }

    /// A box is renamed into place without replacing one of the same name.
    @Test func renameNoReplaceLeavesAnExistingFile() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        FileManager.default.createFile(atPath: dir.file("a"), contents: Data("new".utf8))
        FileManager.default.createFile(atPath: dir.file("b"), contents: Data("old".utf8))
        #expect(throws: PosixError.self) { try Posix.renameNoReplace(dir.file("a"), to: dir.file("b")) }
        #expect(try String(contentsOfFile: dir.file("b"), encoding: .utf8) == "old")
        try Posix.renameNoReplace(dir.file("a"), to: dir.file("c"))
        #expect(try String(contentsOfFile: dir.file("c"), encoding: .utf8) == "new")
    }

    /// Boxes are ordered by their last event, not their start: the one started first may have
    /// died last, and `safegroup blackbox` takes the first.
    @Test func theNewestBoxIsTheOneWhoseLastEventIsNewest() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let dead = dir.file("dead")
        #expect(mkdir(dead, 0o700) == 0)
        var encoder = LineEncoder()
        // The header's epoch is 0: an event's time is its Unix time.
        let header = encoder.headerLine(WireHeader(service: "box", pid: 1, epochUnixNanoseconds: 0))
        func leave(_ stem: String, lastEventAt seconds: UInt64) throws -> String {
            let box = try BlackBox.open(.init(bytes: 64 << 10, directory: dir.path), stem: stem, headerLine: header)
            var lines: [UInt8] = []
            encoder.append(Event(time: .init(nanoseconds: seconds * 1_000_000_000), Lifecycle.opened(1).kind), seq: 1, to: &lines)
            lines.withUnsafeBytes { box.append($0) }
            let copy = "\(dead)/\(stem).blackbox"
            try FileManager.default.copyItem(atPath: box.path, toPath: copy)
            box.remove()
            return copy
        }
        let startedFirst = try leave("started-first-1", lastEventAt: 2_000_000_000)
        let startedSecond = try leave("started-second-1", lastEventAt: 1_000_000_000)
        let found = BlackBoxFiles.scan(environment: ["SAFEGROUP_BLACKBOX": dead].lookup)
        #expect(found.map(\.lastEventUnixNanoseconds) == [2_000_000_000_000_000_000, 1_000_000_000_000_000_000], "a ring of one line has its last event")
        #expect(found.map(\.path) == [startedFirst, startedSecond])
    }

    @Test func aMonitorKeepsItsEventsInTheBoxAndRemovesItOnShutdown() async throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        var configuration = MonitorConfiguration()
        configuration.blackBoxBytes = 1 << 20
        configuration.blackBoxDirectory = dir.file("boxes")
        let reports = ReportCollector()
        let monitor = try SafeGroupMonitor.start(service: "in-process", socketPath: dir.file("s.sock"), configuration: configuration,
                                                 installAsDefault: false, reporter: reports.reporter)
        let path = try #require(monitor.blackBoxPath)
        #expect(path.hasPrefix(dir.file("boxes/in-process-\(getpid())-")))
        monitor.emit(Lifecycle.opened(7))
        monitor.emit(Lifecycle.spawned(70, group: 7))
        let kept = await eventually {
            guard let image = try? BlackBoxImage([UInt8](Data(contentsOf: URL(fileURLWithPath: path)))),
                  let decoded = try? WireDecoder.decode(image.recording) else { return false }
            return decoded.records.contains { if case .event(_, let e) = $0, case .taskSpawned(let s) = e.kind { s.task == TaskID(70) } else { false } }
        }
        #expect(kept, "with no viewer and no recording, the events are encoded for the box")
        monitor.shutdown()
        #expect(try Posix.lstat(path) == nil, "a clean shutdown removes the box")
        #expect(reports.all.isEmpty)
    }
}

private extension Dictionary where Key == String, Value == String {
    var lookup: (String) -> String? { { self[$0] } }
}
