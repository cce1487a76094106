// monitor-fixture: a small process for GroupMonitor's tests that need a real second process.
//
//   monitor-fixture serve SOCKET [--fanout]   start a monitor on SOCKET, print "ready", then obey
//                                            stdin: "fds" (print the open-fd count), "stats",
//                                            "quit" (shut down and exit 0).
//   monitor-fixture peer SOCKET               connect, read until the monitor closes (5 s at most),
//                                            print "read <bytes>" (or "error: …").
import GroupEvents
import GroupMonitor
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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

func peer(socket: String) -> Int32 {
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

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    say("usage: monitor-fixture serve SOCKET [--fanout] | peer SOCKET")
    exit(2)
}
switch arguments[1] {
case "serve": exit(serve(socket: arguments[2], fanout: arguments.contains("--fanout")))
case "peer": exit(peer(socket: arguments[2]))
default:
    say("error: unknown mode \(arguments[1])")
    exit(2)
}
