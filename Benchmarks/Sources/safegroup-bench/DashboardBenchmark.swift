import Dashboard
import Foundation
import GroupEvents
import GroupMonitor
#if canImport(Glibc)
import Glibc
#endif

/// The dashboard's targets (issue 4, part 7), measured side by side in one run:
///
/// 1. replay ingest of a 1M-event recording, against `jq -c . FILE > /dev/null` on the same
///    file: the reducer fed the whole file (read → WireDecoder → `update(.records(batch))`, then
///    the tick before the first frame, which builds the tree's rows once: what `G` costs in a
///    replay once the file is loaded) and the
///    release `safegroup dump --json FILE > /dev/null`, each ≥ 10× jq's MB/s;
/// 2. `render(state, size)` of one 160×48 frame with 100,000 tasks in state: ≤ 2 ms;
/// 3. resident memory after replaying the 1M events (in a child process): ≤ 200 MiB;
/// 4. CPU of the release `safegroup attach SOCKET` under a pseudo-terminal (tmux), attached to
///    an idle in-process monitor for ~10 s: well under 1% of a core;
/// 5. the release `safegroup replay FILE` itself under tmux, on the 1M-event file: the time to
///    its first screen (≤ 1 s), the rate of its loader (the file read, decoded and indexed,
///    against jq's time from 1: ≥ 10×), and its resident memory once the whole file is read and
///    played to its end (`G`): ≤ 200 MiB, like the reducer's alone in 3.
///
/// `safegroup-bench dashboard [ingest|render|memory|cpu|replay]` runs one part; the default is all.
/// Environment: `SAFEGROUP_BIN` (default `<root>/.build/release/safegroup`),
/// `DBENCH_EVENTS` (default 1,000,000), `DBENCH_CHUNK` (loader read size, default 1 MiB),
/// `DBENCH_CPU_SECONDS` (default 10), `DBENCH_RECORDING` (keep the recording at this path).
enum DashboardBenchmark {
    static let ingestTarget = 10.0          // × jq's MB/s
    /// jq's best time on the recording, from the ingest part, for the replay part's ratio.
    nonisolated(unsafe) static var jqBestSeconds: Double?
    static let renderTargetMs = 2.0
    static let memoryTargetMiB = 200.0
    static let cpuTargetPercent = 1.0

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var events: Int { ProcessInfo.processInfo.environment["DBENCH_EVENTS"].flatMap { Int($0) } ?? 1_000_000 }
    static var chunk: Int { ProcessInfo.processInfo.environment["DBENCH_CHUNK"].flatMap { Int($0) } ?? 1 << 20 }
    /// `DBENCH_RECORDING=PATH`: replay PATH (made there first if missing) and keep it, for
    /// profiling the loader alone: `perf record -g safegroup-bench dashboard memory-child PATH`.
    static var keptRecording: String? { ProcessInfo.processInfo.environment["DBENCH_RECORDING"] }
    static var safegroupBinary: String {
        ProcessInfo.processInfo.environment["SAFEGROUP_BIN"] ?? root.appendingPathComponent(".build/release/safegroup").path
    }

    static func run() {
        let extra = Array(CommandLine.arguments.dropFirst(2))
        // Internal: the memory part re-runs this binary to measure a process that only replays.
        if extra.first == "memory-child", extra.count >= 2 {
            memoryChild(path: extra[1])
            return
        }
        let parts = extra.isEmpty ? ["ingest", "render", "memory", "cpu", "replay", "health"] : extra
        say("dashboard: \(load())  (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        var recording: String?
        func file() -> String {
            if let recording { return recording }
            if let kept = keptRecording {
                if !FileManager.default.fileExists(atPath: kept) { _ = makeRecording(events: events, at: kept) }
                recording = kept
                return kept
            }
            let path = makeRecording(events: events)
            recording = path
            return path
        }
        defer { if let recording, keptRecording == nil { try? FileManager.default.removeItem(atPath: recording) } }
        for part in parts {
            switch part {
            case "ingest": ingest(path: file())
            case "render": renderFrame()
            case "memory": memory(path: file())
            case "cpu": idleCPU()
            case "replay": realReplay(path: file())
            case "health": health()
            default: say("dashboard: unknown part \(part) (ingest|render|memory|cpu|replay|health)")
            }
        }
        say("dashboard: done, \(load())")
    }

    // MARK: 1. Replay ingest

    static func ingest(path: String) {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let megabytes = Double(bytes) / 1e6
        say("\n[1] replay ingest: \(events) events, \(fmt(megabytes)) MB (\(bytes / max(1, events)) bytes/line), "
              + "read in \(chunk / 1024) KiB chunks, one .records message per chunk (the replay's own loader, "
              + "which indexes without the reducer, is measured in [5]); \(load())")
        func rate(_ ns: Double) -> Double { megabytes / (ns / 1e9) }

        let decodeOnly = times(rounds: 3) { replay(path: path, intoState: false).records }
        // The model alone (what `update` does, without the state around it and the final rows):
        // the loader's ceiling.
        let modelOnly = times(rounds: 3) { () -> Int in
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var model = StreamModel()
            var decoder = WireDecoder()
            var buffer = [UInt8](repeating: 0, count: chunk)
            var count = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunk) }
                if n <= 0 { try? decoder.finish() } else { buffer.withUnsafeBytes { try? decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
                while let record = decoder.next() {
                    if case .event(let seq, let event) = record {
                        model.apply(event, seq: seq)
                        model.expire(at: event.time)
                        count += 1
                    }
                }
                if n <= 0 { break }
            }
            return count + model.tasks.count
        }
        let loader = times(rounds: 3) { () -> Int in
            let result = replay(path: path, intoState: true)
            precondition(result.records == events + 1, "the loader lost records: \(result.records)")
            return result.records
        }
        var dump: [Double]?
        var dumpSkip: String?
        if FileManager.default.isExecutableFile(atPath: safegroupBinary) {
            dump = times(rounds: 3) { runToDevNull(safegroupBinary, ["dump", "--json", path]) }
        } else {
            dumpSkip = "SKIP: no \(safegroupBinary); build it with `swift build -c release --product safegroup` "
                + "(or point SAFEGROUP_BIN at a release build)"
        }
        let jq = ["/usr/bin/jq", "/usr/local/bin/jq", "/opt/homebrew/bin/jq"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let jqTimes = jq.map { jq in times(rounds: 2, warmUp: false) { runToDevNull(jq, ["-c", ".", path]) } }
        jqBestSeconds = jqTimes.map { $0.min()! / 1e9 }

        say("  " + pad("", 44) + pad("best MB/s", 11) + pad("median", 9) + pad("best s", 8) + pad("x jq", 7) + "target")
        func row(_ name: String, _ samples: [Double], target: Bool) {
            let best = samples.min()!, median = median(samples)
            var line = "  " + pad(name, 44) + pad(fmt(rate(best)), 11) + pad(fmt(rate(median)), 9) + pad(fmt(best / 1e9, 2), 8)
            if let jqTimes {
                let ratio = jqTimes.min()! / best
                line += pad(fmt(ratio) + "x", 7)
                if target { line += ">= \(Int(ingestTarget))x " + (ratio >= ingestTarget ? "PASS" : "MISS") }
            } else if target {
                line += pad("-", 7) + "SKIP: jq not installed, no ratio"
            }
            say(line)
        }
        row("decode only (WireDecoder, no state)", decodeOnly, target: false)
        row("decode + StreamModel.apply/expire (no rows)", modelOnly, target: false)
        row("(a) decode + state.update(.records) (G)", loader, target: true)
        if let dump { row("(b) safegroup dump --json FILE > /dev/null", dump, target: true) } else { say("  (b) dump --json: " + dumpSkip!) }
        if let jqTimes { row("jq -c . FILE > /dev/null", jqTimes, target: false) } else { say("  jq: SKIP, not installed") }
        let update = max(0, loader.min()! - decodeOnly.min()!)
        say("  of the reducer row's best: decode \(fmt(decodeOnly.min()! / 1e6, 0)) ms, state.update ~\(fmt(update / 1e6, 0)) ms "
              + "(\(fmt(update / Double(events))) ns/event); "
              + "of which the model ~\(fmt(max(0, modelOnly.min()! - decodeOnly.min()!) / 1e6, 0)) ms; "
              + "records only mark the tree's rows stale, the tick before the first frame builds them once")
    }

    /// The dashboard's replay loader: reads the file in `chunk`-byte reads, decodes, and hands
    /// each chunk's records to the reducer in one `.records` message; then the tick a run loop
    /// sends before drawing, which builds the tree's rows.
    @inline(never)
    static func replay(path: String, intoState: Bool, chunk: Int = DashboardBenchmark.chunk)
        -> (records: Int, state: DashboardState?) {
        var state = intoState ? DashboardState(mode: .replay, size: TerminalSize(columns: 160, rows: 48)) : nil
        let fd = open(path, O_RDONLY)
        precondition(fd >= 0, "cannot open \(path)")
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var decoder = WireDecoder()
        var records = 0
        var batch: [WireRecord] = []
        func drain() {
            while let record = decoder.next() { batch.append(record) }
            records += batch.count
            if state != nil, !batch.isEmpty { state!.update(.records(batch)) }
            batch.removeAll(keepingCapacity: true)
        }
        while true {
            let n = read(fd, buffer.baseAddress, chunk)
            if n <= 0 { break }
            try? decoder.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            drain()
        }
        try? decoder.finish()
        drain()
        state?.update(.decoderCounters(decoder.counters))
        state?.update(.tick(viewerNanoseconds: 1))
        return (records, state)
    }

    // MARK: 2. Render

    static func renderFrame() {
        let size = TerminalSize(columns: 160, rows: 48)
        let taskCount = 100_000, groupCount = 8
        say("\n[2] render: one \(size.columns)x\(size.rows) frame, \(taskCount) spawned+started tasks in \(groupCount) groups; \(load())")
        var state = DashboardState(mode: .live, size: size)
        state.update(.resize(size))
        let site = SourceSite(fileID: "Checkout/Handler.swift", line: 57)
        var time: UInt64 = 1_000_000_000
        var batch: [WireRecord] = [.header(WireHeader(service: "checkout", pid: 4242, epochUnixNanoseconds: 1_767_225_600_000_000_000))]
        var seq: UInt64 = 0
        func add(_ kind: Event.Kind) {
            seq += 1
            time += 1_000
            batch.append(.event(seq: seq, Event(time: MonotonicTime(nanoseconds: time), kind)))
        }
        for g in 1...groupCount {
            add(.groupOpened(GroupOpened(group: GroupID(UInt64(g)), name: "fanout-\(g)", site: site, policy: .collectAll)))
        }
        let setupStart = ContinuousClock.now
        for index in 0..<taskCount {
            let task = TaskID(UInt64(index + 1)), group = GroupID(UInt64(index % groupCount + 1))
            add(.taskSpawned(TaskSpawned(task: task, group: group, name: "fetch-shard-\(index % 997)", site: site)))
            add(.taskStarted(TaskStarted(task: task, group: group, waitedNanoseconds: 1_500)))
            if batch.count >= 10_000 { state.update(.records(batch)); batch.removeAll(keepingCapacity: true) }
        }
        state.update(.records(batch))
        state.update(.tick(viewerNanoseconds: 1))
        let setup = ContinuousClock.now - setupStart
        precondition(state.model.tasks.count == taskCount, "tasks tracked: \(state.model.tasks.count)")

        let frames = 500
        let renderTimes = times(rounds: frames) { render(state, size: size).cells.count }
        // What a live frame costs besides the render: the run loop sends a tick before each draw;
        // it rebuilds the tree's rows (O(tracked tasks)) only when the model changed since.
        var viewer: UInt64 = 1
        let tickTimes = times(rounds: 30) { () -> Int in
            viewer += 16_000_000
            state.update(.tick(viewerNanoseconds: viewer))
            return state.treeRows.count
        }
        let keyTimes = times(rounds: 30) { () -> Int in
            state.update(.key(.down))
            return state.treeRows.count
        }
        let med = median(renderTimes) / 1e6
        say("  render(state, size)          median \(fmt(med, 3)) ms, best \(fmt(renderTimes.min()! / 1e6, 3)) ms, "
              + "p99 \(fmt(percentile(renderTimes, 0.99) / 1e6, 3)) ms over \(frames) frames  "
              + "target <= \(fmt(renderTargetMs, 0)) ms \(med <= renderTargetMs ? "PASS" : "MISS")")
        say("  update(.tick) before a frame median \(fmt(median(tickTimes) / 1e6, 1)) ms, best \(fmt(tickTimes.min()! / 1e6, 1)) ms "
              + "(\(state.treeRows.count) tree rows, rebuilt only when the model changed since the last frame; not part of the target)")
        say("  update(.key(.down))          median \(fmt(median(keyTimes) / 1e6, 3)) ms (a move: the rows are not rebuilt)")
        say("  (setup: 200k records in batches of 10k took \(setup))")
    }

    // MARK: 3. Memory

    static func memory(path: String) {
        say("\n[3] memory: a child process replays the \(events)-event file through the loader and reports /proc/self/status; \(load())")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["dashboard", "memory-child", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            say("  SKIP: cannot re-run \(CommandLine.arguments[0]): \(error)")
            return
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var values: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value } else { say("  \(line)") }
        }
        guard let before = values["rss-before"], let after = values["rss-after"], let peak = values["hwm"] else {
            say("  MISS: the child reported nothing (exit \(process.terminationStatus))")
            return
        }
        let mib = { (kb: Double) in fmt(kb / 1024) + " MiB" }
        say("  VmRSS before replay \(mib(before)), after \(mib(after)) (+\(mib(after - before))), VmHWM \(mib(peak))")
        say("  after replay: VmRSS \(mib(after))  target <= \(Int(memoryTargetMiB)) MiB "
              + (after / 1024 <= memoryTargetMiB ? "PASS" : "MISS")
              + "; peak VmHWM \(mib(peak)) " + (peak / 1024 <= memoryTargetMiB ? "(also within)" : "(above the target)"))
    }

    static func memoryChild(path: String) {
        let before = status("VmRSS")
        let result = replay(path: path, intoState: true)
        let state = result.state!
        let after = status("VmRSS"), peak = status("VmHWM")
        say("child: \(result.records) records; tracked \(state.model.tasks.count) tasks, \(state.model.groups.count) groups, "
              + "\(state.model.faults.count) faults, \(state.model.history.count) history, \(state.treeRows.count) tree rows")
        say("rss-before \(before)")
        say("rss-after \(after)")
        say("hwm \(peak)")
        withExtendedLifetime(state) {}
    }

    /// A field of /proc/self/status, in kB.
    static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    // MARK: 4. Idle CPU

    static func idleCPU() {
        let seconds = ProcessInfo.processInfo.environment["DBENCH_CPU_SECONDS"].flatMap { Double($0) } ?? 10
        say("\n[4] idle CPU: release `safegroup attach SOCKET` in tmux (160x48) on an idle in-process monitor, \(fmt(seconds, 0)) s; \(load())")
        let rerun = "rerun: safegroup-bench dashboard cpu"
        guard FileManager.default.isExecutableFile(atPath: safegroupBinary) else {
            say("  SKIP: no \(safegroupBinary); build it with `swift build -c release --product safegroup` "
                  + "(or point SAFEGROUP_BIN at a release build), then \(rerun)")
            return
        }
        let help = capture(safegroupBinary, ["--help"])
        guard help.range(of: #"(?m)^\s+attach\b"#, options: .regularExpression) != nil else {
            say("  SKIP: \(safegroupBinary) has no `attach` subcommand yet (`safegroup --help` lists none); "
                  + "build it once attach lands, then \(rerun)")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            say("  SKIP: tmux is not installed (needed for a pseudo-terminal); \(rerun)")
            return
        }
        let directory = "/tmp/dbench-\(getpid())"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/idle.sock"
        let monitor: SafeGroupMonitor
        do {
            monitor = try SafeGroupMonitor.start(service: "idle-bench", socketPath: socket, installAsDefault: false)
        } catch {
            say("  SKIP: cannot start a monitor on \(socket): \(error)")
            return
        }
        defer { monitor.shutdown() }
        let server = "dbench-\(getpid())"
        let tmux = "/usr/bin/tmux"
        // posix_spawn and waitpid, not Foundation.Process: once the monitor runs, Process's
        // waitUntilExit here never returns (the child is reaped late or never); and no pipe, which
        // the forked tmux server would keep open.
        _ = shell("tmux -L \(server) -f /dev/null new-session -d -x 160 -y 48 \"exec '\(safegroupBinary)' attach '\(socket)'\"")
        defer { _ = shell("tmux -L \(server) kill-server") }
        usleep(300_000)
        guard let pid = Int32(shell("tmux -L \(server) list-panes -F '#{pane_pid}'")
            .trimmingCharacters(in: .whitespacesAndNewlines)) else {
            say("  MISS: tmux started no pane")
            return
        }
        // Let it connect, take the snapshot and draw the first frames before measuring.
        usleep(2_000_000)
        guard let start = cpuTicks(pid) else {
            say("  MISS: safegroup attach (pid \(pid)) exited at once; pane: \(paneLine(tmux, server))")
            return
        }
        let viewers = monitor.statistics.viewers
        let wallStart = ContinuousClock.now
        usleep(UInt32(seconds * 1e6))
        let wall = ContinuousClock.now - wallStart
        guard let end = cpuTicks(pid) else {
            say("  MISS: safegroup attach (pid \(pid)) exited during the measurement; pane: \(paneLine(tmux, server))")
            return
        }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = Double(end - start) / hz
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let percent = 100 * cpu / wallSeconds
        say("  pid \(pid), viewers on the monitor: \(viewers), pane: \(paneLine(tmux, server))")
        say("  utime+stime \(fmt(cpu * 1000, 0)) ms over \(fmt(wallSeconds, 1)) s = \(fmt(percent, 2))% of a core "
              + "(resolution \(fmt(1000 / hz, 0)) ms)  target < \(fmt(cpuTargetPercent, 0))% "
              + (percent < cpuTargetPercent && viewers >= 1 ? "PASS" : viewers < 1 ? "MISS (never attached)" : "MISS"))
    }

    // MARK: 5. The real replay

    static func realReplay(path: String) {
        say("\n[5] release `safegroup replay FILE` in tmux (160x48) on the \(events)-event file: first screen, "
              + "then memory after G (end) once the file is read; \(load())")
        guard FileManager.default.isExecutableFile(atPath: safegroupBinary) else {
            say("  SKIP: no \(safegroupBinary); build it with `swift build -c release --product safegroup`")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            say("  SKIP: tmux is not installed (needed for a pseudo-terminal)")
            return
        }
        let server = "dbench-replay-\(getpid())"
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let start = ContinuousClock.now
        _ = shell("tmux -L \(server) -f /dev/null new-session -d -x 160 -y 48 \"exec '\(safegroupBinary)' replay '\(path)'\"")
        defer { _ = shell("tmux -L \(server) kill-server") }
        func screen() -> String { shell("tmux -L \(server) capture-pane -p") }
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        guard let pid = Int32(shell("tmux -L \(server) list-panes -F '#{pane_pid}'").trimmingCharacters(in: .whitespacesAndNewlines)) else {
            say("  MISS: tmux started no pane")
            return
        }
        // The replay's loader reads the file once, start to end, indexing it (the reader's
        // re-reads of what is shown come on top): it is done when the process has read the size.
        // Reading /proc costs next to nothing; capturing the pane runs tmux, so it is done every
        // 40 ms only (the first screen's time is that coarse), not to slow the replay it measures.
        var firstScreen: Duration?, indexed: Duration?
        var polls = 0
        while ContinuousClock.now - start < .seconds(60), firstScreen == nil || indexed == nil {
            if indexed == nil, let read = io("rchar", of: pid), read >= bytes { indexed = ContinuousClock.now - start }
            if firstScreen == nil, polls % 8 == 0, screen().contains("REPLAY") { firstScreen = ContinuousClock.now - start }
            polls += 1
            usleep(5_000)
        }
        guard let firstScreen else {
            say("  MISS: no REPLAY screen within 60 s; pane: \(paneLine("/usr/bin/tmux", server))")
            return
        }
        let firstSeconds = seconds(firstScreen)
        say("  first screen after \(fmt(firstSeconds * 1000, 0)) ms (tmux start included, seen within 40 ms)  target <= 1 s "
              + (firstSeconds <= 1 ? "PASS" : "MISS"))
        if let indexed {
            let rate = Double(bytes) / 1e6 / seconds(indexed)
            var line = "  the replay's loader (read, decode, index; process start included): whole file in \(fmt(seconds(indexed), 2)) s = \(fmt(rate)) MB/s"
            if let jq = jqBestSeconds {
                let ratio = jq / seconds(indexed)
                line += ", \(fmt(ratio))x jq  target >= \(Int(ingestTarget))x " + (ratio >= ingestTarget ? "PASS" : "MISS")
            } else {
                line += " (no jq figure: run the ingest part in the same run for the ratio)"
            }
            say(line)
        } else {
            say("  MISS: the replay had not read the whole file after 60 s")
        }
        // G jumps to the end of what is read so far; press it until the file is read and shown to its end.
        var atEnd = false
        let loadStart = ContinuousClock.now
        while ContinuousClock.now - loadStart < .seconds(120) {
            _ = shell("tmux -L \(server) send-keys G")
            usleep(200_000)
            if screen().contains("end of file") {
                atEnd = true
                break
            }
        }
        guard atEnd else {
            say("  MISS: the replay never reached the end of the file; pane: \(paneLine("/usr/bin/tmux", server))")
            return
        }
        let loaded = ContinuousClock.now - loadStart
        usleep(500_000)  // a few more frames at the end
        let rss = Double(status("VmRSS", of: pid)), peak = Double(status("VmHWM", of: pid))
        let mib = { (kb: Double) in fmt(kb / 1024) + " MiB" }
        say("  read and shown to the end within \(loaded) (G pressed every 0.2 s)")
        say("  at the end: VmRSS \(mib(rss))  target <= \(Int(memoryTargetMiB)) MiB " + (rss / 1024 <= memoryTargetMiB ? "PASS" : "MISS")
              + "; peak VmHWM \(mib(peak)) " + (peak / 1024 <= memoryTargetMiB ? "(also within)" : "(above the target)"))
        let lines = screen().split(separator: "\n")
        if lines.count > 2 { say("  header: \(String(lines[0].trimmingCharacters(in: .whitespaces).prefix(100)))") }
    }

    /// A field of /proc/<pid>/io (bytes), or nil when the process is gone.
    static func io(_ field: String, of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    /// A field of /proc/<pid>/status, in kB.
    static func status(_ field: String, of pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        return -1
    }

    /// utime + stime of `pid`, in clock ticks, from /proc/<pid>/stat.
    static func cpuTicks(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        guard fields.count > 12, fields[0] != "Z", let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    static func paneLine(_ tmux: String, _ server: String) -> String {
        let text = shell("tmux -L \(server) capture-pane -p")
        let line = text.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "(blank)"
        return "\"" + String(line.trimmingCharacters(in: .whitespaces).prefix(70)) + "\""
    }

    // MARK: The recording

    /// Writes a realistic recording of `events` events: requests as groups of 4 to 40 children
    /// with a slot limit, about 8 groups in flight at once, 10% of groups nested under a running
    /// task, 5% of tasks faulting (errors with 6-14 frame stacks, timeouts, cancellations),
    /// and a heartbeat every second of stream time.
    static func makeRecording(events total: Int, at given: String? = nil) -> String {
        let path = given ?? FileManager.default.temporaryDirectory.appendingPathComponent("safegroup-dbench-\(getpid()).ndjson").path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = FileHandle(forWritingAtPath: path)!
        defer { try? handle.close() }
        var rng = SplitMix(seed: 0x5AFE_6209)
        let encoder = WireEncoder()
        var out: [UInt8] = []
        out.reserveCapacity(1 << 22)
        encoder.encodeHeader(WireHeader(service: "checkout", pid: 4242, epochUnixNanoseconds: 1_767_225_600_000_000_000), into: &out)

        struct Kind { let group: String; let tasks: [String]; let file: String }
        let kinds = [
            Kind(group: "checkout-request", tasks: ["charge-card", "reserve-stock", "price-quote", "fraud-check"], file: "Checkout/Handler.swift"),
            Kind(group: "search-fanout", tasks: ["query-shard", "rank", "fetch-facets"], file: "Search/FanOut.swift"),
            Kind(group: "inventory-sync", tasks: ["pull-warehouse", "diff-stock", "push-update"], file: "Inventory/Sync.swift"),
            Kind(group: "email-batch", tasks: ["render-template", "send-smtp"], file: "Mail/Batch.swift"),
            Kind(group: "image-resize", tasks: ["decode-jpeg", "resize", "upload-s3"], file: "Media/Resize.swift"),
        ]
        let symbols = [
            "Checkout.PaymentClient.charge(card:amount:) async throws -> Checkout.Receipt",
            "Checkout.Handler.handle(_:) async throws -> HTTP.Response",
            "SafeGroup.SafeGroup.run<A>(_:) async throws -> A",
            "closure #1 @Sendable () async throws -> () in Search.FanOut.query(_:)",
            "Inventory.WarehouseClient.pull(sku:) async throws -> Inventory.Stock",
            "NIOCore.EventLoopFuture.get() async throws -> A",
            "Mail.SMTPConnection.send(_:) async throws -> ()",
            "Media.Resizer.resize(_:to:) throws -> Media.Image",
        ]
        struct Group {
            let id: GroupID; let kind: Int; let limit: Int
            var toSpawn: Int; var waiting: [(TaskID, UInt64)] = []; var running: [(TaskID, UInt64, UInt64)] = []
            var children = 0; var faults = 0
        }
        var time: UInt64 = 1_250_000_000
        var nextHeartbeat = time + 1_000_000_000
        var seq: UInt64 = 0
        var written = 0
        var nextGroup: UInt64 = 1, nextTask: UInt64 = 1
        var active: [Group] = []
        var produced: UInt64 = 0
        func emit(_ kind: Event.Kind) {
            seq += 1
            produced += 1
            encoder.encode(Event(time: MonotonicTime(nanoseconds: time), kind), seq: seq, into: &out)
            written += 1
            if out.count >= 1 << 22 { handle.write(Data(out)); out.removeAll(keepingCapacity: true) }
        }
        func openGroup() {
            let kind = Int(rng.next() % UInt64(kinds.count))
            let id = GroupID(nextGroup)
            nextGroup += 1
            // 10% nested under a running task of another group in flight.
            var parent: TaskID?
            if rng.next() % 10 == 0, let host = active.randomElement(using: &rng), let task = host.running.randomElement(using: &rng) {
                parent = task.0
            }
            let limit = [4, 8, 16][Int(rng.next() % 3)]
            emit(.groupOpened(GroupOpened(group: id, name: kinds[kind].group, parentTask: parent ?? TaskID(UInt64(1_000_000_000) + id.rawValue),
                                          site: SourceSite(file: kinds[kind].file, line: 42),
                                          policy: kind == 0 ? .cancelOnFirstFault : .collectAll, limit: limit)))
            active.append(Group(id: id, kind: kind, limit: limit, toSpawn: 4 + Int(rng.next() % 37)))
        }
        while active.count < 8 { openGroup() }
        while written < total {
            time += 1_000 + rng.next() % 49_000
            if time >= nextHeartbeat {
                emit(.heartbeat(Heartbeat(produced: produced, dropped: 0, viewers: 1)))
                nextHeartbeat += 1_000_000_000
                continue
            }
            let index = Int(rng.next() % UInt64(active.count))
            var group = active[index]
            let kind = kinds[group.kind]
            let canSpawn = group.toSpawn > 0, canStart = !group.waiting.isEmpty && group.running.count < group.limit
            let canEnd = !group.running.isEmpty
            let roll = rng.next() % 3
            if canSpawn && (roll == 0 || (!canStart && !canEnd)) {
                let task = TaskID(nextTask)
                nextTask += 1
                group.toSpawn -= 1
                group.children += 1
                let name = kind.tasks[Int(rng.next() % UInt64(kind.tasks.count))]
                emit(.taskSpawned(TaskSpawned(task: task, group: group.id, name: name,
                                              site: SourceSite(file: kind.file, line: 57 + UInt32(name.count)))))
                group.waiting.append((task, time))
            } else if canStart && (roll == 1 || !canEnd) {
                let (task, spawned) = group.waiting.removeFirst()
                emit(.taskStarted(TaskStarted(task: task, group: group.id, waitedNanoseconds: time - spawned)))
                group.running.append((task, spawned, time))
            } else if canEnd {
                let (task, _, started) = group.running.remove(at: Int(rng.next() % UInt64(group.running.count)))
                var status = TaskStatus.ok
                if rng.next() % 20 == 0 {
                    let which = rng.next() % 10
                    let faultKind: FaultKind = which < 7 ? .error : which < 9 ? .timeout : .cancelled
                    status = faultKind == .error ? .failed : faultKind == .timeout ? .timedOut : .cancelled
                    let depth = 6 + Int(rng.next() % 9)
                    let stack = (0..<depth).map { frame in
                        StackFrame(symbol: symbols[(frame + Int(task.rawValue)) % symbols.count],
                                   file: frame % 3 == 2 ? nil : kind.file, line: frame % 3 == 2 ? 0 : UInt32(40 + frame * 7))
                    }
                    group.faults += 1
                    emit(.faultRecorded(FaultInfo(
                        task: task, taskName: "task", group: group.id, groupName: kind.group,
                        site: SourceSite(file: kind.file, line: 57), kind: faultKind,
                        errorType: faultKind == .error ? "Checkout.PaymentError" : "",
                        message: faultKind == .error ? "card declined: insufficient funds (code \(51 + task.rawValue % 7))"
                            : faultKind == .timeout ? "timed out after 2 s" : "cancelled: a sibling faulted",
                        startedAt: MonotonicTime(nanoseconds: started), endedAt: MonotonicTime(nanoseconds: time),
                        stackOrigin: "error", stack: stack)))
                }
                emit(.taskEnded(TaskEnded(task: task, group: group.id, status: status, durationNanoseconds: time - started)))
            } else {
                // Everything spawned has ended: close, and open the next request.
                emit(.groupClosed(GroupClosed(group: group.id, outcome: group.faults > 0 ? .faulted : .ok,
                                              faultCount: group.faults, childCount: group.children)))
                active.remove(at: index)
                openGroup()
                continue
            }
            active[index] = group
        }
        handle.write(Data(out))
        return path
    }

    // MARK: Helpers

    /// Wall times of `rounds` runs of `body` (after one warm-up run), in nanoseconds.
    static func times(rounds: Int, warmUp: Bool = true, _ body: () -> Int) -> [Double] {
        var sink = warmUp ? body() : 0
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            sink &+= body()
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        }
        if sink == 42 { print("") }
        return samples
    }

    static func median(_ samples: [Double]) -> Double { percentile(samples, 0.5) }

    static func percentile(_ samples: [Double], _ p: Double) -> Double {
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
    }

    /// Runs `executable` with stdout and stderr to /dev/null; returns its exit status.
    static func runToDevNull(_ executable: String, _ arguments: [String]) -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        return Int(process.terminationStatus)
    }

    /// Runs `/bin/sh -c command` with posix_spawn, waits with waitpid, and returns its output
    /// (through a temporary file, not a pipe).
    static func shell(_ command: String) -> String {
        let out = "/tmp/dbench-sh-\(getpid()).out"
        defer { unlink(out) }
        var pid: pid_t = 0
        let argv = ["/bin/sh", "-c", "\(command) >'\(out)' 2>&1 </dev/null"]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &cArgs, environ) == 0 else { return "" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    /// Runs `executable` and returns its stdout and stderr.
    static func capture(_ executable: String, _ arguments: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Prints a line at once, also through a pipe (`| tee`), so a slow part shows what came before it.
    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    static func load() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return "load average " + text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func fmt(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// A small seeded generator, so every run replays the same recording.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
