// monitor-fixture: a small process for GroupMonitor's tests that need a real second process.
//
//   monitor-fixture serve SOCKET [--fanout]   start a monitor on SOCKET, print "ready", then obey
//                                            stdin: "fds" (print the open-fd count), "stats",
//                                            "quit" (shut down and exit 0).
//   monitor-fixture peer SOCKET               connect, read until the monitor closes (5 s at most),
//                                            print "read <bytes>" (or "error: …").
//   monitor-fixture crash SOCKET RECORD HOW [--no-handler]
//                                            start a monitor with the crash handler (unless
//                                            --no-handler) recording to RECORD, run a group "jobs"
//                                            with a child "doomed" (and a sleeping "bystander");
//                                            print "running <pid>" once the child runs, then on a
//                                            line on stdin make it trap: HOW is "nil" (force-unwrap
//                                            of nil), "overflow" (stack overflow), "abort",
//                                            "detached" (nil, in an unstructured task of the child),
//                                            or "badfp" (a trap with a corrupt frame pointer).
//   monitor-fixture blackbox SOCKET HOW [--handler]
//                                            start a monitor (its black box as SAFEGROUP_BLACKBOX
//                                            says), print "box <path>" (or "box none") and every
//                                            report as "report: …", run a group "warmup" whose
//                                            child "flaky-upstream" throws, then by HOW: "trap"
//                                            runs "doomed" in a group "jobs", prints "running <pid>"
//                                            and traps (nil) on a line on stdin; "serve" prints
//                                            "ready" and obeys stdin like serve; "burst N" emits N
//                                            events at about a million a second, prints
//                                            "burst produced=… dropped=…", then obeys stdin.
//                                            --host-usr1: a SIGUSR1 handler of the host's own first
//                                            (it prints "host SIGUSR1").
import CSafeGroupSystem
import GroupEvents
import GroupMonitor
import SafeGroup
import Synchronization
import Glibc

/// Writes one line to stdout at once (no stdio buffering: the test reads it through a pipe).
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

func openDescriptorCount() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var count = 0
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { count += 1 }
    }
    return count - 1 // the directory stream's own descriptor
}

/// Emits task lifecycles until told to stop: a steady fan-out of short children.
final class FanOut: @unchecked Sendable {
    let stop = Atomic<Bool>(false)
    let monitor: SafeGroupMonitor

    init(monitor: SafeGroupMonitor) { self.monitor = monitor }

    func run() {
        let site = SourceSite(fileID: #fileID, line: #line)
        let group = GroupID(1)
        monitor.emit(Event(.groupOpened(GroupOpened(group: group, name: "fanout", site: site, policy: .collectAll))))
        var next: UInt64 = 1
        while !stop.load(ordering: .relaxed) {
            for _ in 0..<50 {
                let task = TaskID(next)
                next += 1
                monitor.emit(Event(.taskSpawned(TaskSpawned(task: task, group: group, name: "child", site: site))))
                monitor.emit(Event(.taskStarted(TaskStarted(task: task, group: group))))
                monitor.emit(Event(.taskEnded(TaskEnded(task: task, group: group, status: .ok, durationNanoseconds: 1000))))
            }
            usleep(2000)
        }
    }
}

func serve(socket: String, fanout: Bool) -> Int32 {
    let monitor: SafeGroupMonitor
    do {
        monitor = try SafeGroupMonitor.start(service: "fixture", socketPath: socket)
    } catch {
        say("error: \(error)")
        return 1
    }
    let fan = FanOut(monitor: monitor)
    var thread: pthread_t?
    if fanout {
        var t = pthread_t()
        let box = Unmanaged.passRetained(fan).toOpaque()
        pthread_create(&t, nil, { raw in
            Unmanaged<FanOut>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box)
        thread = t
    }
    say("ready \(getpid())")
    while let line = readLine() {
        switch line {
        case "fds":
            say("fds \(openDescriptorCount())")
        case "stats":
            let s = monitor.statistics
            say("stats produced=\(s.produced) delivered=\(s.delivered) dropped=\(s.dropped) viewers=\(s.viewers) accepted=\(s.viewersAccepted) refused=\(s.viewersRefused)")
        case "quit":
            fan.stop.store(true, ordering: .relaxed)
            if let thread { pthread_join(thread, nil) }
            monitor.shutdown()
            say("bye")
            return 0
        default:
            say("error: unknown command \(line)")
        }
    }
    return 0
}

/// Connects to `socket` (as whoever runs it), sends `request` and a newline if given, and
/// prints how many bytes it read before the socket closed or went quiet for 5 s.
func peer(socket: String, request: String? = nil) -> Int32 {
    let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(socket.utf8)
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    if connected != 0 {
        say("error: cannot connect to \(socket): \(String(cString: strerror(errno)))")
        return 1
    }
    if let request {
        let line = Array((request + "\n").utf8)
        _ = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
    var total = 0
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 5000) <= 0 { break }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        total += n
    }
    say("read \(total)")
    return 0
}

/// Recurses until the stack runs out; the frame's buffer and the addition keep it from being
/// a loop or a tail call.
@inline(never)
func exhaustStack(_ depth: Int) -> Int {
    var frame = (depth, depth, depth, depth, depth, depth, depth, depth)
    withUnsafeMutableBytes(of: &frame) { $0[0] = UInt8(truncatingIfNeeded: depth) }
    return exhaustStack(depth + 1) &+ frame.0
}

/// A step of the doomed child's work: parses the command it was given and acts on it.
@inline(never)
func process(command: String, how: String) -> Int {
    switch how {
    case "overflow": return exhaustStack(0)
    case "abort": abort()
    case "badfp":
        csystem_crash_trap_with_corrupt_frame_pointer()
        return 0
    default:
        // The workload's bug: the command is not a number, and the code assumes it is.
        return Int(command)!
    }
}

func crash(socket: String, record: String, how: String, handler: Bool) -> Int32 {
    var configuration = MonitorConfiguration()
    configuration.crashHandler = handler
    let monitor: SafeGroupMonitor
    do {
        monitor = try SafeGroupMonitor.start(service: "fixture", socketPath: socket, record: record, configuration: configuration)
    } catch {
        say("error: \(error)")
        return 1
    }
    Task.detached {
        _ = await withSafeGroup(name: "jobs") { group in
            await group.spawn("bystander") { try await Task.sleep(for: .seconds(600)) }
            await group.spawn("doomed") {
                say("running \(getpid())")
                let command = readLine() ?? ""
                if how == "detached" {
                    // A task the child made itself: not a SafeGroup child, so the crash names none.
                    _ = await Task.detached { process(command: command, how: "nil") }.value
                } else {
                    _ = process(command: command, how: how)
                }
            }
        }
        monitor.shutdown()
        exit(0)
    }
    while true { pause() }
}

struct UpstreamUnavailable: Error, CustomStringConvertible {
    var description: String { "upstream rates service answered 503" }
}

/// Emits `count` events (task lifecycles in one group) at about a million a second.
func burst(_ monitor: SafeGroupMonitor, count: Int) {
    let site = SourceSite(fileID: #fileID, line: #line)
    let group = GroupID(900)
    monitor.emit(Event(.groupOpened(GroupOpened(group: group, name: "burst", site: site, policy: .collectAll))))
    var emitted = 1, task: UInt64 = 10_000
    let start = MonotonicTime.now()
    while emitted < count {
        // Paced per millisecond: a thousand events, then wait for the next millisecond.
        for _ in 0..<333 where emitted < count {
            task += 1
            monitor.emit(Event(.taskSpawned(TaskSpawned(task: TaskID(task), group: group, name: "burst-child", site: site))))
            monitor.emit(Event(.taskStarted(TaskStarted(task: TaskID(task), group: group))))
            monitor.emit(Event(.taskEnded(TaskEnded(task: TaskID(task), group: group, status: .ok, durationNanoseconds: 700))))
            emitted += 3
        }
        let due = UInt64(emitted) * 1000
        while MonotonicTime.now().nanoseconds(since: start) < due {}
    }
}

func blackbox(socket: String, how: String, handler: Bool, hostUSR1: Bool) -> Int32 {
    if hostUSR1 {
        signal(SIGUSR1) { _ in
            let line: StaticString = "host SIGUSR1\n"
            _ = write(1, line.utf8Start, line.utf8CodeUnitCount)
        }
    }
    var configuration = MonitorConfiguration()
    configuration.crashHandler = handler
    let monitor: SafeGroupMonitor
    do {
        monitor = try SafeGroupMonitor.start(service: "fixture", socketPath: socket, configuration: configuration,
                                             reporter: { say("report: \($0)") })
    } catch {
        say("error: \(error)")
        return 1
    }
    say("box \(monitor.blackBoxPath ?? "none")")
    let done = Atomic<Bool>(false)
    Task.detached {
        _ = await withSafeGroup(name: "warmup") { group in
            await group.spawn("fetch-rates") { try await Task.sleep(for: .milliseconds(5)) }
            await group.spawn("flaky-upstream") { throw UpstreamUnavailable() }
        }
        done.store(true, ordering: .releasing)
    }
    while !done.load(ordering: .acquiring) { usleep(1000) }
    if how == "trap" {
        Task.detached {
            _ = await withSafeGroup(name: "jobs") { group in
                await group.spawn("doomed") {
                    say("running \(getpid())")
                    _ = process(command: readLine() ?? "", how: "nil")
                }
            }
        }
        while true { pause() }
    }
    if how.hasPrefix("burst ") {
        let count = Int(how.dropFirst(6)) ?? 1_000_000
        burst(monitor, count: count)
        while monitor.statistics.produced != monitor.statistics.delivered + monitor.statistics.dropped { usleep(1000) }
        let s = monitor.statistics
        say("burst produced=\(s.produced) dropped=\(s.dropped)")
    } else {
        say("ready \(getpid())")
    }
    while let line = readLine() {
        switch line {
        case "stats":
            let s = monitor.statistics
            say("stats produced=\(s.produced) delivered=\(s.delivered) dropped=\(s.dropped) viewers=\(s.viewers)")
        case "quit":
            monitor.shutdown()
            say("bye")
            return 0
        case "fork-exit":
            // A child that exits normally (atexit handlers run in it) while the parent lives.
            let child = fork()
            if child == 0 { exit(0) }
            var status: Int32 = 0
            _ = waitpid(child, &status, 0)
            say("forked \(status)")
        case "exit":
            // A normal exit without shutting the monitor down.
            say("bye")
            exit(0)
        default:
            say("error: unknown command \(line)")
        }
    }
    return 0
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    say("usage: monitor-fixture serve SOCKET [--fanout] | peer SOCKET")
    exit(2)
}
switch arguments[1] {
case "serve": exit(serve(socket: arguments[2], fanout: arguments.contains("--fanout")))
case "peer": exit(peer(socket: arguments[2], request: arguments.count > 3 ? arguments[3] : nil))
case "crash" where arguments.count >= 5:
    exit(crash(socket: arguments[2], record: arguments[3], how: arguments[4], handler: !arguments.contains("--no-handler")))
case "blackbox" where arguments.count >= 4:
    exit(blackbox(socket: arguments[2], how: arguments[3], handler: arguments.contains("--handler"),
                  hostUSR1: arguments.contains("--host-usr1")))
default:
    say("error: unknown mode \(arguments[1])")
    exit(2)
}
