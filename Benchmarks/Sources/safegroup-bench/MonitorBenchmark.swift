import Foundation
import GroupEvents
import GroupMonitor
import SafeGroup
#if canImport(Glibc)
import Glibc
#endif

/// The monitor under load (issue 11): a 100,000-child fan-out whose events go to a
/// `SafeGroupMonitor`, with no viewer, with a real `safegroup record` process attached, with a
/// viewer that never reads, with 16 viewers, and recording to a file (`SAFEGROUP_RECORD`), each
/// against a bare `withThrowingTaskGroup` in the same round; then sustained rates into
/// `safegroup record`.
///
/// Every round of a monitor variant starts its own monitor and its own viewer processes (so a
/// stalled viewer is stalled afresh, never disconnected mid-run) and shuts them down after the
/// measured group, outside the timing, after the monitor and the viewers have caught up: what a
/// round leaves behind never runs into the next one.
///
/// Environment: `SAFEGROUP_BIN` (default `<root>/.build/release/safegroup`), `MBENCH_ROUNDS`
/// (default 21), `MBENCH_SECONDS` (each sustained rate, default 10), `MBENCH_RATES` (events/s,
/// default `100000,500000,1000000`), `MBENCH_VARIANTS` (the fan-out's monitor variants, for
/// profiling one: `noViewer,record,stalled,sixteen,recordFile,blackBox`), `MBENCH_PROFILE=1` (those
/// variants alone, no ratios, and no bare or events-dropped rounds unless `MBENCH_VARIANTS` names
/// `bare` or `dropped`: for `perf stat` of one path), `MBENCH_RAW=1` (each
/// round's times as well; not with `MBENCH_PROFILE`).
/// Parts: `safegroup-bench monitor [fanout] [sustained] [burst] [blackbox] [emit]` (all but
/// `emit` by default); `blackbox` crashes a process with a full black box and times
/// `safegroup replay` of it to its first screen; `emit` is the producers' side alone, for work
/// on the event buffer.
enum MonitorBenchmark {
    static let children = GroupBenchmark.children
    static var rounds: Int { environment("MBENCH_ROUNDS").flatMap { Int($0) } ?? GroupBenchmark.rounds }
    static var sustainedSeconds: Double { environment("MBENCH_SECONDS").flatMap { Double($0) } ?? 10 }
    static var rates: [Int] {
        environment("MBENCH_RATES").map { $0.split(separator: ",").compactMap { Int($0) } } ?? [100_000, 500_000, 1_000_000]
    }
    static var safegroupBinary: String { DashboardBenchmark.safegroupBinary }
    static var selfBinary: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }
    static let directory = "/tmp/safegroup-bench-\(getpid())"

    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    static func run() async {
        let extra = Array(CommandLine.arguments.dropFirst(2))
        // Internal: a viewer process of this benchmark, `monitor-viewer read|stall SOCKET`.
        if extra.first == "viewer", extra.count == 3 { viewerProcess(mode: extra[1], socket: extra[2]) }
        // Internal: a service that fills its black box and traps, `monitor crashbox DIR`.
        if extra.first == "crashbox", extra.count == 2 { crashWithAFullBlackBox(directory: extra[1]) }
        guard FileManager.default.isExecutableFile(atPath: safegroupBinary) else {
            print("== monitor: SKIP, no safegroup binary at \(safegroupBinary): build it with "
                  + "'swift build -c release --product safegroup' (or point SAFEGROUP_BIN at one)")
            return
        }
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let parts = extra.isEmpty ? ["fanout", "sustained", "burst", "blackbox"] : extra
        for part in parts {
            switch part {
            case "fanout": await fanOut()
            case "sustained": sustained()
            case "burst": burst()
            case "blackbox": blackBoxReplay()
            case "emit": emitCost()
            default: print("monitor: unknown part '\(part)' (fanout, sustained, burst, blackbox, emit)")
            }
        }
    }

    // MARK: Fan-out

    /// One monitor variant of a round: how it is set up around the measured group.
    enum Setup: String, CaseIterable {
        case noViewer, record, stalled, sixteen, recordFile, blackBox
    }

    /// What one monitor round observed, outside the timing.
    struct Observed {
        var produced: UInt64 = 0
        var bufferDropped: UInt64 = 0
        var viewerLinesDropped: UInt64 = 0
        /// For a recording: events in the file and the events its `dropped` lines count.
        var recorded: UInt64 = 0
        var recordedDropped: UInt64 = 0
    }

    static func fanOut() async {
        print("== monitor: \(children) trivial children into a SafeGroupMonitor, \(rounds) interleaved rounds, variants rotated")
        print("   each against that round's bare withThrowingTaskGroup; the verdict is the median of the per-round ratios.")
        print("   viewers are separate processes: 'safegroup record' (\(safegroupBinary)), or this binary reading and")
        print("   discarding bytes (16 viewers), or connecting and never reading (stalled). \(load())")
        _ = await withSafeGroup(of: Void.self, name: "install") { _ in }
        _ = await GroupBenchmark.bare(); _ = await GroupBenchmark.safeGroup(sink: nil)  // warm up
        var times: [String: [Duration]] = [:]
        var observed: [Setup: [Observed]] = [:]
        let asked = environment("MBENCH_VARIANTS").map { $0.split(separator: ",").map(String.init) }
        let chosen = asked.map { $0.compactMap { Setup(rawValue: $0) } } ?? Setup.allCases
        // "dropped": the events built and dropped, no monitor: what the events cost apart from it.
        // MBENCH_PROFILE=1 runs the chosen variants alone (no bare, no events-dropped rounds, unless
        // MBENCH_VARIANTS names "bare" or "dropped"), for `perf stat` or `perf record` of one
        // path; it prints their times, no ratios.
        let profiling = environment("MBENCH_PROFILE") == "1"
        let floors = profiling ? (asked ?? []).filter { $0 == "bare" || $0 == "dropped" } : ["bare", "dropped"]
        let names = floors + chosen.map(\.rawValue)
        for round in 0..<rounds {
            for offset in 0..<names.count {
                let name = names[(round + offset) % names.count]
                if let setup = Setup(rawValue: name) {
                    guard let (time, seen) = await monitored(setup, round: round) else { return }
                    times[name, default: []].append(time)
                    observed[setup, default: []].append(seen)
                } else if name == "dropped" {
                    times[name, default: []].append(await GroupBenchmark.safeGroup(sink: GroupBenchmark.DiscardingSink()))
                } else {
                    times[name, default: []].append(await GroupBenchmark.bare())
                }
            }
        }
        func perChild(_ d: Duration) -> String { format(nanoseconds(d) / Double(children), digits: 0) + " ns/child" }
        if profiling {
            for name in names {
                let sorted = times[name]!.sorted()
                print("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) best \(perChild(sorted[0])), median \(perChild(sorted[sorted.count / 2]))")
            }
            return
        }
        if environment("MBENCH_RAW") == "1" {
            // Each round's times in ns/child, in the order the variants ran: the rounds here are
            // bimodal (a variant's round takes about 1,050 or about 1,550 ns a child), and this shows it.
            for round in 0..<rounds {
                let order = (0..<names.count).map { names[(round + $0) % names.count] }
                print("  round \(round): " + order.map { "\($0) \(format(nanoseconds(times[$0]![round]) / Double(children), digits: 0))" }.joined(separator: ", "))
            }
        }
        let bareTimes = times["bare"]!
        print("  bare withThrowingTaskGroup                  best \(perChild(best(bareTimes))), median \(perChild(bareTimes.sorted()[bareTimes.count / 2]))")
        let droppedRatios = zip(times["dropped"]!, bareTimes).map { ratio($0, $1) }.sorted()
        print("  SafeGroup, events built and dropped         median \(format(droppedRatios[droppedRatios.count / 2]))x "
              + "(quartiles \(format(droppedRatios[droppedRatios.count / 4]))-\(format(droppedRatios[3 * droppedRatios.count / 4]))x)  "
              + "(no monitor: the events' own cost, the floor of every row below)")
        func row(_ label: String, _ setup: Setup, target: Double?) {
            guard chosen.contains(setup) else { return }
            let ratios = zip(times[setup.rawValue]!, bareTimes).map { ratio($0, $1) }.sorted()
            let median = ratios[ratios.count / 2]
            // The monitor's own share: each round against that round's events-built-and-dropped group.
            let own = zip(times[setup.rawValue]!, times["dropped"]!).map { ratio($0, $1) }.sorted()
            let seen = observed[setup]!
            let produced = seen.map(\.produced).reduce(0, +)
            var line = "  " + label.padding(toLength: 44, withPad: " ", startingAt: 0)
                + "median \(format(median))x (quartiles \(format(ratios[ratios.count / 4]))-\(format(ratios[3 * ratios.count / 4]))x)"
            if let target { line += "  target <= \(format(target))x \(verdict(median <= target))" }
            line += "\n      against events built and dropped: median \(format(own[own.count / 2]))x"
            line += "\n      events \(produced), sink dropped \(percent(seen.map(\.bufferDropped).reduce(0, +), of: produced))"
            if setup == .stalled || setup == .sixteen {
                line += ", viewer lines dropped \(seen.map(\.viewerLinesDropped).reduce(0, +)) (all viewers)"
            }
            if setup == .record || setup == .recordFile {
                let lost = seen.map(\.recordedDropped).reduce(0, +)
                line += ", recorded \(seen.map(\.recorded).reduce(0, +)), lost in-band \(percent(lost, of: produced))"
            }
            print(line)
        }
        row("monitor, no viewer", .noViewer, target: 1.10)
        row("monitor, 'safegroup record' attached", .record, target: 1.35)
        row("monitor, a viewer that never reads", .stalled, target: 1.10)
        row("monitor, 16 viewers reading", .sixteen, target: 1.5)
        row("monitor, SAFEGROUP_RECORD=file", .recordFile, target: nil)
        row("monitor, black box (8 MiB), no viewer", .blackBox, target: 1.15)
    }

    /// Sets `setup` up, measures one fan-out into its monitor, and tears it down.
    static func monitored(_ setup: Setup, round: Int) async -> (Duration, Observed)? {
        let socket = "\(directory)/m.sock"
        let recording = "\(directory)/r\(round)-\(setup.rawValue).ndjson"
        defer { unlink(recording) }
        if setup == .recordFile { setenv(EventRecorder.environmentVariable, recording, 1) }
        let monitor: SafeGroupMonitor
        do {
            var configuration = MonitorConfiguration()
            if setup == .blackBox {
                configuration.blackBoxBytes = 8 << 20
                configuration.blackBoxDirectory = "\(directory)/boxes"
            }
            monitor = try SafeGroupMonitor.start(service: "bench", socketPath: socket, configuration: configuration, installAsDefault: false)
        } catch {
            print("  cannot start a monitor at \(socket): \(error)")
            return nil
        }
        if setup == .recordFile { unsetenv(EventRecorder.environmentVariable) }
        var viewers: [Process] = []
        switch setup {
        case .noViewer, .recordFile, .blackBox: break
        case .record: viewers = [launch(safegroupBinary, ["record", socket, "--output", recording])]
        case .stalled: viewers = [launch(selfBinary, ["monitor", "viewer", "stall", socket])]
        case .sixteen: viewers = (0..<16).map { _ in launch(selfBinary, ["monitor", "viewer", "read", socket]) }
        }
        guard waitFor(seconds: 10, { monitor.statistics.viewers == viewers.count }) else {
            print("  \(setup.rawValue): only \(monitor.statistics.viewers) of \(viewers.count) viewers attached in 10 s")
            viewers.forEach { $0.terminate() }
            monitor.shutdown()
            return nil
        }
        let before = monitor.statistics.produced
        let time = await GroupBenchmark.safeGroup(sink: monitor)
        // Outside the timing: let the monitor and the viewers catch up before the next variant.
        _ = waitFor(seconds: 10) { let s = monitor.statistics; return s.delivered + s.dropped == s.produced }
        if setup == .record { waitForQuietFile(recording) }
        if setup == .sixteen || setup == .stalled { usleep(20_000) }
        let stats = monitor.statistics
        monitor.shutdown()
        for viewer in viewers {
            // `record` reconnects after the service went away; the others end at end of stream.
            if setup != .sixteen { kill(viewer.processIdentifier, SIGINT) }
            viewer.waitUntilExit()
        }
        var seen = Observed(produced: stats.produced - before, bufferDropped: stats.dropped,
                            viewerLinesDropped: stats.viewerLinesDropped)
        if setup == .record || setup == .recordFile {
            let counts = countRecording(recording)
            seen.recorded = counts.events
            seen.recordedDropped = counts.dropped
        }
        return (time, seen)
    }

    // MARK: The producers' side alone

    /// Two threads emit prebuilt events as fast as they can, into a monitor with no viewer (its
    /// buffer large enough to drop none) and into a sink that drops them, rounds interleaved: the
    /// cost of `emit` itself, apart from what building events and running children cost.
    static func emitCost() {
        let threads = 2, perThread = 500_000
        print("== monitor emit: \(threads) threads x \(perThread) prebuilt events, \(rounds) interleaved rounds. \(load())")
        let event = Event(.taskStarted(TaskStarted(task: TaskID(1), group: GroupID(1))))
        func timed(_ sink: any EventSink) -> Double {
            let go = DispatchSemaphore(value: 0), done = DispatchGroup()
            for _ in 0..<threads {
                done.enter()
                Thread {
                    go.wait()
                    for _ in 0..<perThread { sink.emit(event) }
                    done.leave()
                }.start()
            }
            let start = monotonicNow()
            for _ in 0..<threads { go.signal() }
            done.wait()
            return Double(monotonicNow() - start) / Double(threads * perThread)
        }
        var monitorCosts: [Double] = [], droppedCosts: [Double] = []
        var configuration = MonitorConfiguration()
        configuration.eventCapacity = threads * perThread + 4096
        for round in 0..<rounds {
            for offset in 0..<2 {
                if (round + offset) % 2 == 0 {
                    droppedCosts.append(timed(GroupBenchmark.DiscardingSink()))
                } else {
                    guard let monitor = try? SafeGroupMonitor.start(service: "bench", socketPath: "\(directory)/e.sock",
                                                                   configuration: configuration, installAsDefault: false) else {
                        print("  cannot start a monitor in \(directory)"); return
                    }
                    monitorCosts.append(timed(monitor))
                    _ = waitFor(seconds: 10) { let s = monitor.statistics; return s.delivered + s.dropped == s.produced }
                    let stats = monitor.statistics
                    monitor.shutdown()
                    if stats.dropped > 0 { print("  round \(round): the monitor dropped \(stats.dropped) events") }
                }
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print("  emit into a dropping sink           median \(format(median(droppedCosts), digits: 1)) ns/event")
        print("  emit into the monitor, no viewer    median \(format(median(monitorCosts), digits: 1)) ns/event "
              + "(best \(format(monitorCosts.min()!, digits: 1)))")
    }

    // MARK: The black box after a crash

    /// A child process fills an 8 MiB black box (it wraps) and traps; then the release
    /// `safegroup replay BOX` runs in tmux, timed to its first screen.
    static func blackBoxReplay() {
        DashboardBenchmark.say("\n== monitor: `safegroup replay` of the black box a crashed service left (8 MiB ring, wrapped); \(load())")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            DashboardBenchmark.say("  SKIP: tmux is not installed (needed for a pseudo-terminal)")
            return
        }
        let boxes = "\(directory)/crashed"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: selfBinary)
        child.arguments = ["monitor", "crashbox", boxes]
        child.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        do { try child.run() } catch { fatalError("cannot run \(selfBinary): \(error)") }
        child.waitUntilExit()
        guard child.terminationReason == .uncaughtSignal,
              let name = (try? FileManager.default.contentsOfDirectory(atPath: boxes))?.first(where: { $0.hasSuffix(".blackbox") }) else {
            DashboardBenchmark.say("  MISS: the crashing child left no black box (status \(child.terminationStatus))")
            return
        }
        let path = "\(boxes)/\(name)"
        let server = "mbench-box-\(getpid())"
        let start = ContinuousClock.now
        _ = DashboardBenchmark.shell("tmux -L \(server) -f /dev/null new-session -d -x 160 -y 48 \"exec '\(safegroupBinary)' replay '\(path)'\"")
        defer { _ = DashboardBenchmark.shell("tmux -L \(server) kill-server") }
        var firstScreen: Duration?
        while ContinuousClock.now - start < .seconds(30), firstScreen == nil {
            if DashboardBenchmark.shell("tmux -L \(server) capture-pane -p").contains("REPLAY") { firstScreen = ContinuousClock.now - start }
            else { usleep(5_000) }
        }
        guard let firstScreen else {
            DashboardBenchmark.say("  MISS: no REPLAY screen within 30 s; pane: \(DashboardBenchmark.paneLine("/usr/bin/tmux", server))")
            return
        }
        let ms = Double(firstScreen.components.seconds) * 1000 + Double(firstScreen.components.attoseconds) / 1e15
        DashboardBenchmark.say("  box \(fileSize(path) >> 10) KiB; first screen after \(DashboardBenchmark.fmt(ms, 0)) ms "
                               + "(tmux start included)  target <= 1 s " + (ms <= 1000 ? "PASS" : "MISS"))
    }

    /// The child of ``blackBoxReplay()``: a monitor with an 8 MiB black box and the crash
    /// handler, 400,000 events (the ring wraps), then a trap in-process.
    static func crashWithAFullBlackBox(directory: String) -> Never {
        var configuration = MonitorConfiguration()
        configuration.blackBoxBytes = 8 << 20
        configuration.blackBoxDirectory = directory
        configuration.crashHandler = true
        guard let monitor = try? SafeGroupMonitor.start(service: "bench-crash", socketPath: "\(directory).sock",
                                                        configuration: configuration, installAsDefault: false) else { exit(3) }
        let site = SourceSite(fileID: #fileID, line: #line)
        monitor.emit(Event(.groupOpened(GroupOpened(group: GroupID(1), name: "orders", site: site, policy: .collectAll))))
        for n in 1...400_000 / 3 {
            let task = TaskID(UInt64(n))
            monitor.emit(Event(.taskSpawned(TaskSpawned(task: task, group: GroupID(1), name: "order-\(n % 97)", site: site))))
            monitor.emit(Event(.taskStarted(TaskStarted(task: task, group: GroupID(1)))))
            monitor.emit(Event(.taskEnded(TaskEnded(task: task, group: GroupID(1), status: .ok, durationNanoseconds: 1_000))))
            if n % 4096 == 0 { _ = waitFor(seconds: 5) { let s = monitor.statistics; return s.delivered + s.dropped == s.produced } }
        }
        _ = waitFor(seconds: 5) { let s = monitor.statistics; return s.delivered + s.dropped == s.produced }
        usleep(20_000)
        let missing: Int? = directory.isEmpty ? 1 : nil
        print(missing!)
        exit(0)
    }

    // MARK: Sustained rates

    /// Events at a steady rate, straight into a monitor with `safegroup record` attached.
    static func sustained() {
        print("== monitor: sustained rates into 'safegroup record' (the real binary), \(format(sustainedSeconds, digits: 0)) s each, default buffers. \(load())")
        for rate in rates {
            guard let result = produceIntoRecord(rate: rate, seconds: sustainedSeconds, faultEvery: 100) else { return }
            var line = "  " + "\(rate) events/s".padding(toLength: 20, withPad: " ", startingAt: 0)
                + "produced \(result.produced) (achieved \(Int(Double(result.produced) / result.seconds))/s), "
                + "recorded \(result.recorded), dropped \(result.dropped) (sink \(result.sinkDropped)), "
                + "faults \(result.faultsRecorded)/\(result.faultsProduced)"
            if rate == 500_000 { line += "  target 0 dropped \(verdict(result.dropped == 0))" }
            if rate == 1_000_000 { line += "  target 0 faults dropped \(verdict(result.faultsRecorded == result.faultsProduced))" }
            print(line)
        }
    }

    struct SustainedResult {
        var produced: UInt64 = 0, recorded: UInt64 = 0, dropped: UInt64 = 0, sinkDropped: UInt64 = 0
        var faultsProduced: UInt64 = 0, faultsRecorded: UInt64 = 0
        var seconds: Double = 0
    }

    static func produceIntoRecord(rate: Int, seconds: Double, faultEvery: Int) -> SustainedResult? {
        let socket = "\(directory)/s.sock"
        let recording = "\(directory)/sustained-\(rate).ndjson"
        defer { unlink(recording) }
        let monitor: SafeGroupMonitor
        do { monitor = try SafeGroupMonitor.start(service: "bench", socketPath: socket, installAsDefault: false) } catch {
            print("  cannot start a monitor at \(socket): \(error)")
            return nil
        }
        let record = launch(safegroupBinary, ["record", socket, "--output", recording])
        guard waitFor(seconds: 10, { monitor.statistics.viewers == 1 }) else {
            print("  'safegroup record' did not attach in 10 s")
            record.terminate(); monitor.shutdown()
            return nil
        }
        var result = SustainedResult()
        let total = UInt64(Double(rate) * seconds)
        let start = monotonicNow()
        var emitted: UInt64 = 0
        let group = GroupID(1)
        let site = SourceSite(fileID: "Bench/Load.swift", line: 42)
        while emitted < total {
            let elapsed = monotonicNow() - start
            let due = min(total, UInt64(Double(elapsed) * Double(rate) / 1e9))
            while emitted < due {
                let task = TaskID(emitted / 3 + 1)
                let event: Event
                switch emitted % 3 {
                case 0: event = Event(.taskSpawned(TaskSpawned(task: task, group: group, name: "job", site: site)))
                case 1: event = Event(.taskStarted(TaskStarted(task: task, group: group)))
                default:
                    if (emitted / 3) % UInt64(faultEvery / 3 == 0 ? 1 : faultEvery / 3) == 0 {
                        // About `1 / faultEvery` of the events are faults, each with its task's end.
                        result.faultsProduced += 1
                        monitor.emit(Event(.faultRecorded(fault(task: task, group: group, site: site))))
                        event = Event(.taskEnded(TaskEnded(task: task, group: group, status: .failed, durationNanoseconds: 1_000)))
                    } else {
                        event = Event(.taskEnded(TaskEnded(task: task, group: group, status: .ok, durationNanoseconds: 1_000)))
                    }
                }
                monitor.emit(event)
                emitted += 1
            }
            usleep(200)
        }
        result.seconds = Double(monotonicNow() - start) / 1e9
        _ = waitFor(seconds: 30) { let s = monitor.statistics; return s.delivered + s.dropped == s.produced }
        waitForQuietFile(recording)
        let stats = monitor.statistics
        monitor.shutdown()
        kill(record.processIdentifier, SIGINT)
        record.waitUntilExit()
        let counts = countRecording(recording)
        result.produced = stats.produced
        result.sinkDropped = stats.dropped
        result.recorded = counts.events
        result.dropped = counts.dropped
        result.faultsRecorded = counts.faults
        return result
    }

    static func fault(task: TaskID, group: GroupID, site: SourceSite) -> FaultInfo {
        FaultInfo(task: task, taskName: "job", group: group, groupName: "load", site: site, kind: .error,
                  errorType: "LoadError", message: "the job failed", startedAt: .now(), endedAt: .now(),
                  stackOrigin: "throw", stack: [StackFrame(symbol: "Bench.job()", file: "Bench/Load.swift", line: 42)])
    }

    // MARK: `record` alone, in a burst

    /// How fast `safegroup record` writes a burst: a server of this process writes a prepared
    /// stream of 2,000,000 events as fast as the socket takes it, and the time runs from the
    /// connection to the last byte in the file.
    static func burst() {
        let events = 2_000_000
        print("== monitor: 'safegroup record' alone, a burst of \(events) events from a socket that writes as fast as it is read. \(load())")
        var stream: [UInt8] = []
        let encoder = WireEncoder()
        encoder.encodeHeader(WireHeader(service: "burst", pid: 1, epochUnixNanoseconds: 0), into: &stream)
        let site = SourceSite(fileID: "Bench/Load.swift", line: 42)
        for i in 0..<events {
            let task = TaskID(UInt64(i / 3 + 1))
            let kind: Event.Kind = switch i % 3 {
            case 0: .taskSpawned(TaskSpawned(task: task, group: GroupID(1), name: "job", site: site))
            case 1: .taskStarted(TaskStarted(task: task, group: GroupID(1)))
            default: .taskEnded(TaskEnded(task: task, group: GroupID(1), status: .ok, durationNanoseconds: 1_000))
            }
            encoder.encode(Event(time: MonotonicTime(rawValue: UInt64(i) * 100), kind), seq: UInt64(i + 1), into: &stream)
        }
        var rates: [Double] = []
        for round in 0..<3 {
            let socket = "\(directory)/b\(round).sock", recording = "\(directory)/burst.ndjson"
            guard let seconds = serveBurst(stream, socket: socket, recording: recording) else { return }
            rates.append(Double(events) / seconds)
            unlink(recording)
        }
        let bestRate = rates.max()!
        print("  'safegroup record' burst: best \(format(bestRate / 1e6))M events/s (\(format(bestRate * Double(stream.count) / Double(events) / 1e6, digits: 0)) MB/s), "
              + "rounds \(rates.map { format($0 / 1e6) + "M" }.joined(separator: ", "))  target >= 2M events/s \(verdict(bestRate >= 2e6))")
    }

    /// Serves `stream` once to a `safegroup record` process; the seconds until the file is whole.
    static func serveBurst(_ stream: [UInt8], socket: String, recording: String) -> Double? {
        unlink(socket)
        let server = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(server); unlink(socket) }
        let bound = withAddress(of: socket) { bind(server, $0, $1) }
        guard bound == 0, listen(server, 1) == 0 else {
            print("  cannot listen on \(socket): errno \(errno)")
            return nil
        }
        let record = launch(safegroupBinary, ["record", socket, "--output", recording])
        let client = accept(server, nil, nil)
        guard client >= 0 else { return nil }
        let start = monotonicNow()
        var sent = 0
        stream.withUnsafeBytes { raw in
            while sent < raw.count {
                let n = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                sent += n
            }
        }
        // The whole stream is in the file once its size is the stream's.
        _ = waitFor(seconds: 60, pollMicroseconds: 200) { fileSize(recording) >= stream.count }
        let seconds = Double(monotonicNow() - start) / 1e9
        close(client)
        kill(record.processIdentifier, SIGINT)
        record.waitUntilExit()
        return seconds
    }

    // MARK: Viewer processes

    /// `safegroup-bench monitor viewer read|stall SOCKET`: a viewer that reads and discards every
    /// byte until the end of the stream, or one that connects and never reads.
    static func viewerProcess(mode: String, socket: String) -> Never {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withAddress(of: socket) { connect(fd, $0, $1) }
        guard connected == 0 else { exit(1) }
        if mode == "stall" {
            while true { pause() }
        }
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
        exit(0)
    }

    // MARK: Helpers

    /// Calls `body` with the address of the Unix socket at `path`.
    static func withAddress<R>(of path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    static func launch(_ executable: String, _ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { fatalError("cannot run \(executable): \(error)") }
        return process
    }

    @discardableResult
    static func waitFor(seconds: Double, pollMicroseconds: UInt32 = 1_000, _ condition: () -> Bool) -> Bool {
        let end = monotonicNow() + UInt64(seconds * 1e9)
        while !condition() {
            if monotonicNow() > end { return false }
            usleep(pollMicroseconds)
        }
        return true
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Waits until `path` has stopped growing for 100 ms.
    static func waitForQuietFile(_ path: String) {
        var last = -1, quietSince = monotonicNow()
        _ = waitFor(seconds: 30, pollMicroseconds: 10_000) {
            let size = fileSize(path), now = monotonicNow()
            if size != last { last = size; quietSince = now }
            return now - quietSince > 100_000_000
        }
    }

    /// The events of a recording (heartbeats and drop notices aside), the events its `dropped`
    /// lines say were lost, and its faults.
    static func countRecording(_ path: String) -> (events: UInt64, dropped: UInt64, faults: UInt64) {
        guard let data = FileManager.default.contents(atPath: path) else { return (0, 0, 0) }
        var decoder = WireDecoder()
        var events: UInt64 = 0, dropped: UInt64 = 0, faults: UInt64 = 0
        func drain() {
            while let record = decoder.next() {
                guard case .event(_, let event) = record else { continue }
                switch event.kind {
                case .dropped(let d): dropped += d.count
                case .heartbeat: break
                case .faultRecorded: faults += 1; events += 1
                default: events += 1
                }
            }
        }
        let bytes = [UInt8](data)
        var from = 0
        while from < bytes.count {
            let to = min(bytes.count, from + (1 << 20))
            try? decoder.feed(bytes[from..<to])
            drain()
            from = to
        }
        try? decoder.finish()
        drain()
        return (events, dropped, faults)
    }

    static func percent(_ part: UInt64, of whole: UInt64) -> String {
        "\(part) (\(format(whole == 0 ? 0 : 100 * Double(part) / Double(whole), digits: 1))%)"
    }

    static func load() -> String {
        let average = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?"
        return "(\(ProcessInfo.processInfo.activeProcessorCount) cores, load \(average))"
    }
}

/// The monotonic clock in nanoseconds.
func monotonicNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
