import Foundation
import GroupEvents
@testable import GroupMonitor
import Testing
import Glibc
import SystemCalls
import TestSupport

/// The black box with real processes: `monitor-fixture blackbox` runs a group "warmup" whose
/// child "flaky-upstream" throws, then traps, is killed, bursts or shuts down, with no viewer.
@Suite("Black box of a service process", .serialized)
struct BlackBoxProcessTests {
    /// A fixture process and what it said before it got going.
    struct Fixture {
        let child: ChildProcess
        /// The box's path, nil when it has none.
        let box: String?
        /// The reports it printed (`report: …`) before its box line.
        let reports: [String]
    }

    static func start(_ how: String, in dir: ScratchDirectory, environment: [String: String],
                      handler: Bool = false, wrapper: [String] = [], executable: String = FixtureProcess.executablePath) throws -> Fixture {
        let socket = dir.file("svc-\(UUID().uuidString.prefix(8)).sock")
        let arguments = ["blackbox", socket, how] + (handler ? ["--handler"] : [])
        let child = try wrapper.isEmpty
            ? ChildProcess(executable, arguments, environment: environment, in: dir, input: true, output: .lines)
            : ChildProcess(wrapper[0], Array(wrapper.dropFirst()) + [executable] + arguments,
                           environment: environment, in: dir, input: true, output: .lines)
        var reports: [String] = []
        while let line = child.readLine() {
            if line.hasPrefix("report: ") { reports.append(String(line.dropFirst(8))); continue }
            if line.hasPrefix("box ") {
                let path = String(line.dropFirst(4))
                return Fixture(child: child, box: path == "none" ? nil : path, reports: reports)
            }
            Issue.record("unexpected line from the fixture: \(line) (stderr: \(child.errorsSoFar))")
            break
        }
        throw POSIXError(.EIO)
    }

    /// The box at `path` and its records, decoded like any recording.
    static func read(_ path: String) throws -> (image: BlackBoxImage, records: [WireRecord], counters: WireDecoder.Counters) {
        let image = try BlackBoxImage([UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
        let decoded = try WireDecoder.decode(image.recording)
        return (image, decoded.records, decoded.counters)
    }

    static func events(_ records: [WireRecord]) -> [(seq: UInt64, event: Event)] {
        records.compactMap { if case .event(let seq, let event) = $0 { (seq, event) } else { nil } }
    }

    /// Whether the warmup group's fault (its child "flaky-upstream" threw) is in `records`.
    static func hasWarmupFault(_ records: [WireRecord]) -> Bool {
        events(records).contains {
            if case .faultRecorded(let fault) = $0.event.kind {
                fault.taskName == "flaky-upstream" && fault.groupName == "warmup" && fault.message.contains("503")
            } else { false }
        }
    }

    @Test func trapWithNoViewerLeavesABoxEndingWithTheCrashNamingTheTask() async throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let boxes = dir.file("boxes")
        let fixture = try Self.start("trap", in: dir, environment: ["SAFEGROUP_BLACKBOX": boxes, "SWIFT_BACKTRACE": "enable=no"],
                                     handler: true)
        let box = try #require(fixture.box)
        #expect(box.hasPrefix(boxes + "/fixture-\(fixture.child.pid)-") && box.hasSuffix(".blackbox"))
        #expect(fixture.child.readLine() == "running \(fixture.child.pid)")
        // The doomed child's start is in the ring (nothing is attached, nothing else records).
        let started = await eventually {
            guard let records = try? Self.read(box).records else { return false }
            let doomed = Self.events(records).first { if case .taskSpawned(let s) = $0.event.kind { s.name == "doomed" } else { false } }
            guard case .taskSpawned(let spawned)? = doomed?.event.kind else { return false }
            return Self.events(records).contains { if case .taskStarted(let s) = $0.event.kind { s.task == spawned.task } else { false } }
        }
        #expect(started)
        fixture.child.send("not a number")
        _ = fixture.child.waitUntilExit()
        #expect(fixture.child.terminatingSignal == SIGILL)

        let (image, records, counters) = try Self.read(box)
        #expect(image.state == .crashed)
        #expect(image.signal == SIGILL)
        #expect(image.pid == fixture.child.pid)
        #expect(counters.malformed == 0 && counters.torn == 0)
        guard case .header(let header)? = records.first else {
            Issue.record("the recording does not start with the box's header: \(records.prefix(1))")
            return
        }
        #expect(header.service == "fixture" && header.pid == fixture.child.pid)
        let events = Self.events(records)
        guard case .processCrashed(let crash)? = events.last?.event.kind else {
            Issue.record("the box ends with \(String(describing: events.last)), not process.crashed")
            return
        }
        let doomed = events.lazy.compactMap { if case .taskSpawned(let s) = $0.event.kind, s.name == "doomed" { s } else { nil } }.first
        #expect(crash.task == doomed?.task)
        #expect(crash.reason.contains("Unexpectedly found nil"))
        // The crash continues the stream: the next seq.
        #expect(events.last!.seq == events.dropLast().last!.seq + 1)
        // And what came before it: the warmup group, opened, faulted, closed.
        #expect(Self.hasWarmupFault(records))
        #expect(events.contains { if case .groupClosed(let c) = $0.event.kind { c.outcome == .faulted } else { false } })
        // The process is gone: nobody holds the box's lock.
        #expect(try Posix.isLockHeld(box) == false)
    }

    @Test func killNineLeavesABoxWithoutACrashMarkedRunning() async throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let fixture = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"])
        let box = try #require(fixture.box)
        #expect(box.hasPrefix(dir.file("safegroup/fixture-")))
        #expect(fixture.child.readLine()?.hasPrefix("ready") == true)
        #expect(try Posix.isLockHeld(box) == true, "a live process holds its box's lock")
        let faulted = await eventually { (try? Self.read(box)).map { Self.hasWarmupFault($0.records) } ?? false }
        #expect(faulted)
        fixture.child.kill()
        _ = fixture.child.waitUntilExit()

        let (image, records, counters) = try Self.read(box)
        #expect(image.state == .running, "no last gasp: the box cannot say more than that the process stopped writing")
        #expect(!Self.events(records).contains { if case .processCrashed = $0.event.kind { true } else { false } })
        #expect(Self.hasWarmupFault(records))
        #expect(counters.malformed == 0)
        #expect(try Posix.isLockHeld(box) == false)
        // Mode 0600 in a 0700 directory.
        #expect(try Posix.lstat(box).map { $0.st_mode & 0o777 } == 0o600)
        #expect(try Posix.lstat(dir.file("safegroup")).map { $0.st_mode & 0o777 } == 0o700)
    }

    @Test func cleanShutdownRemovesTheBox() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let fixture = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"])
        let box = try #require(fixture.box)
        #expect(fixture.child.readLine()?.hasPrefix("ready") == true)
        #expect(try Posix.lstat(box) != nil)
        fixture.child.send("quit")
        #expect(fixture.child.readLine() == "bye")
        #expect(fixture.child.waitUntilExit() == 0)
        #expect(try Posix.lstat(box) == nil)
        #expect(try Posix.directoryEntries(dir.file("safegroup")) == [])
    }

    @Test func normalExitWithoutShutdownRemovesTheBoxToo() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let fixture = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"])
        let box = try #require(fixture.box)
        #expect(fixture.child.readLine()?.hasPrefix("ready") == true)
        fixture.child.send("exit")
        #expect(fixture.child.readLine() == "bye")
        #expect(fixture.child.waitUntilExit() == 0)
        #expect(try Posix.lstat(box) == nil, "exit() without shutdown() leaves no box: the process did not die")
    }

    /// A fork()ed child that calls exit() runs the parent's atexit handlers: the parent's live
    /// box stays.
    @Test func aForkedChildThatExitsLeavesTheParentsBox() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let fixture = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"])
        let box = try #require(fixture.box)
        #expect(fixture.child.readLine()?.hasPrefix("ready") == true)
        fixture.child.send("fork-exit")
        #expect(fixture.child.readLine() == "forked 0")
        #expect(try Posix.lstat(box) != nil, "the child's exit() did not remove its parent's box")
        fixture.child.send("exit")
        #expect(fixture.child.readLine() == "bye")
        #expect(fixture.child.waitUntilExit() == 0)
        #expect(try Posix.lstat(box) == nil, "the parent's own exit() still removes it")
    }

    /// A million events at a million a second through a 256 KiB ring: it wraps dozens of times,
    /// and what is left reads as whole lines, with consecutive seqs, up to the newest.
    @Test func ringWrapsCorrectlyUnderAMillionEventsASecond() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let fixture = try Self.start("burst 1000000", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "256K"])
        let box = try #require(fixture.box)
        let done = try #require(fixture.child.readLine())
        #expect(done.hasPrefix("burst produced="), "\(done)")
        fixture.child.kill()
        _ = fixture.child.waitUntilExit()

        let (image, records, counters) = try Self.read(box)
        #expect(image.capacity == 256 << 10)
        #expect(image.wrapped && image.head > 10 * UInt64(image.capacity), "head \(image.head)")
        #expect(!image.diedMidWrite)
        #expect(counters.malformed == 0 && counters.torn == 0 && counters.overLong == 0, "\(counters)")
        let events = Self.events(records)
        #expect(image.lines.count > image.capacity - 4096, "the ring is full but for the oldest, partial line")
        // The box never loses a line: seqs are consecutive (producer drops are reported in-band).
        let gaps = zip(events, events.dropFirst()).filter { $1.seq != $0.seq + 1 }
        #expect(gaps.isEmpty, "\(gaps.prefix(3).map { ($0.seq, $1.seq) })")
        // The newest events are the end of the burst, and the burst's tasks at its end are whole.
        let lastTask = events.lazy.compactMap { if case .taskEnded(let e) = $0.event.kind { e.task.rawValue } else { nil } }.last
        // Unless the sink dropped events (counted, and reported in-band), the burst's last.
        let dropped = done.split(separator: "=").last.flatMap { UInt64($0) } ?? 0
        #expect(dropped > 0 || lastTask == 10_000 + 333_333, "\(done): the burst's last child is in the box")
    }

    @Test func twoProcessesOfOneServiceKeepABoxEach() throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let first = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"])
        let second = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"])
        #expect(first.child.readLine()?.hasPrefix("ready") == true)
        #expect(second.child.readLine()?.hasPrefix("ready") == true)
        let a = try #require(first.box), b = try #require(second.box)
        #expect(a != b)
        #expect(try Self.read(a).image.pid == first.child.pid)
        #expect(try Self.read(b).image.pid == second.child.pid)
        #expect(try Posix.directoryEntries(dir.file("safegroup"))?.count == 2)
        for fixture in [first, second] {
            fixture.child.send("quit")
            _ = fixture.child.readLine()
            _ = fixture.child.waitUntilExit()
        }
        #expect(try Posix.directoryEntries(dir.file("safegroup")) == [])
    }

    /// The box cannot get its blocks (a 256 KiB filesystem for an 8 MiB ring, in a mount
    /// namespace of the fixture's own): one report, and the service serves without a box.
    @Test func fullDiskIsReportedOnceAndTheServiceGoesOn() async throws {
        try #require(getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"),
                     "needs root and unshare to mount a tiny filesystem")
        let probe = try ChildProcess("/usr/bin/unshare", ["-m", "true"], in: ScratchDirectory(prefix: "sgprobe"))
        try #require(probe.waitUntilExit() == 0, "mount namespaces are not available here")
        let dir = ScratchDirectory(prefix: "sgbox")
        let boxes = dir.file("tiny")
        mkdir(boxes, 0o700)
        let fixture = try Self.start(
            "serve", in: dir, environment: ["SAFEGROUP_BLACKBOX": boxes],
            wrapper: ["/usr/bin/unshare", "-m", "/bin/sh", "-c", #"mount -t tmpfs -o size=256k,mode=0700 tmpfs "$0" && exec "$@""#, boxes])
        #expect(fixture.box == nil)
        #expect(fixture.reports.count == 1, "\(fixture.reports)")
        #expect(fixture.reports.first?.contains("No space left on device") == true, "\(fixture.reports)")
        #expect(fixture.reports.first?.contains("goes on without one") == true)
        try await Self.expectServing(fixture)
    }

    /// A file size limit (`ulimit -f`) below the box's size: fallocate would get SIGXFSZ and
    /// kill the service. One report instead, and the service serves without a box.
    @Test func aFileSizeLimitBelowTheBoxIsReportedOnceAndTheServiceGoesOn() async throws {
        let dir = ScratchDirectory(prefix: "sgbox")
        let fixture = try Self.start(
            "serve", in: dir, environment: ["XDG_STATE_HOME": dir.path, "SAFEGROUP_BLACKBOX": "on"],
            wrapper: ["/bin/sh", "-c", #"ulimit -f 64 && exec "$@""#, "sh"])
        #expect(fixture.box == nil)
        #expect(fixture.reports.count == 1, "\(fixture.reports)")
        #expect(fixture.reports.first?.contains("file size limit") == true, "\(fixture.reports)")
        #expect(fixture.reports.first?.contains("goes on without one") == true)
        try await Self.expectServing(fixture)
    }

    /// A state directory the service's user cannot write (run as `nobody`, under root's 0755
    /// directory): one report, and the service serves without a box.
    @Test func unwritableStateDirectoryIsReportedOnceAndTheServiceGoesOn() async throws {
        try #require(getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"),
                     "needs root to run the service as another user")
        let dir = ScratchDirectory(prefix: "sgbox")
        chmod(dir.path, 0o777)
        let state = dir.file("state")
        mkdir(state, 0o755)
        // The build folder may be closed to `nobody`: run a copy from the open directory.
        let executable = dir.file("monitor-fixture")
        try FileManager.default.copyItem(atPath: FixtureProcess.executablePath, toPath: executable)
        chmod(executable, 0o755)
        let fixture = try Self.start("serve", in: dir, environment: ["XDG_STATE_HOME": state, "SAFEGROUP_BLACKBOX": "on"],
                                     wrapper: ["/usr/sbin/runuser", "-u", "nobody", "--"], executable: executable)
        #expect(fixture.box == nil)
        #expect(fixture.reports.count == 1, "\(fixture.reports)")
        #expect(fixture.reports.first?.contains(state) == true && fixture.reports.first?.contains("Permission denied") == true,
                "\(fixture.reports)")
        try await Self.expectServing(fixture)
    }

    /// The fixture got going, delivers its events, says nothing more, and quits cleanly.
    static func expectServing(_ fixture: Fixture) async throws {
        #expect(fixture.child.readLine()?.hasPrefix("ready") == true)
        let delivering = await eventually { fixture.askStats().map { $0.hasPrefix("stats") && !$0.contains("delivered=0 ") } ?? false }
        #expect(delivering, "the warmup group's events are delivered")
        fixture.child.send("quit")
        #expect(fixture.child.readLine() == "bye", "no second report")
        #expect(fixture.child.waitUntilExit() == 0)
    }
}

extension BlackBoxProcessTests.Fixture {
    func askStats() -> String? {
        child.send("stats")
        return child.readLine()
    }
}
