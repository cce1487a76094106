import Foundation
import GroupEvents
@testable import GroupMonitor
import Synchronization
import Testing
import Glibc
import SystemCalls
import TestSupport

/// A viewer made of a plain blocking socket and a ``WireDecoder``.
final class TestClient {
    let fd: Int32
    var decoder = WireDecoder()
    var records: [WireRecord] = []
    var bytesRead = 0
    var closedByPeer = false

    /// Connects to `path`; `receiveBuffer` shrinks the kernel's buffer to make stalls quick.
    init(path: String, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        do { try Posix.connect(fd, path: path) } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    /// Reads at most `maximum` bytes, waiting up to `timeout` for the first; returns what came.
    @discardableResult
    func read(maximum: Int = 65_536, timeout: Int32 = 5000) -> [UInt8] {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeout) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: maximum)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { closedByPeer = true; return [] }
        bytesRead += n
        let chunk = Array(buffer[..<n])
        try? decoder.feed(chunk)
        while let record = decoder.next() { records.append(record) }
        return chunk
    }

    /// Reads until `done` holds for the records so far, the peer closes, or `limit` passes.
    func read(until done: ([WireRecord]) -> Bool, limit: Duration = .seconds(20)) {
        let end = ContinuousClock.now + limit
        while !done(records), !closedByPeer, ContinuousClock.now < end {
            read(timeout: 200)
        }
    }

    /// The events read so far, with their `seq`.
    var events: [(seq: UInt64, event: Event)] {
        records.compactMap { if case .event(let seq, let event) = $0 { (seq, event) } else { nil } }
    }

    var headers: [WireHeader] {
        records.compactMap { if case .header(let h) = $0 { h } else { nil } }
    }
}

/// The `monitor-fixture` executable built next to the test bundle, run as a child process that
/// reads commands on its standard input and answers a line each.
final class FixtureProcess {
    let child: ChildProcess
    private let scratch = ScratchDirectory(prefix: "sgfix")

    static var executablePath: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let directory = (exe as NSString).deletingLastPathComponent
        return "\(directory)/monitor-fixture"
    }

    init(_ arguments: [String], asUser user: String? = nil, executable: String = FixtureProcess.executablePath) throws {
        if let user {
            child = try ChildProcess("/usr/sbin/runuser", ["-u", user, "--", executable] + arguments,
                                     in: scratch, input: true, output: .lines)
        } else {
            child = try ChildProcess(executable, arguments, in: scratch, input: true, output: .lines)
        }
    }

    var pid: Int32 { child.pid }

    /// Sends one command line.
    func send(_ line: String) { child.send(line) }

    /// The next line the fixture prints, or nil at its end.
    func readLine() -> String? { child.readLine() }

    /// Sends `command` and returns the reply line.
    func ask(_ command: String) -> String? {
        send(command)
        return readLine()
    }

    func kill9() {
        child.kill()
        child.waitUntilExit()
    }

    func quit() {
        if child.isRunning {
            send("quit")
            _ = readLine()
            child.waitUntilExit()
        }
    }
}

/// Collects what a monitor reports, for assertions.
final class ReportCollector: Sendable {
    private let messages = Mutex<[String]>([])
    var all: [String] { messages.withLock { $0 } }
    var reporter: @Sendable (String) -> Void { { message in self.messages.withLock { $0.append(message) } } }
}

/// An event of a child's life, for tests that produce streams by hand.
enum Lifecycle {
    static let site = SourceSite(fileID: #fileID, line: #line)
    static func opened(_ g: UInt64) -> Event {
        Event(.groupOpened(GroupOpened(group: GroupID(g), name: "g\(g)", site: site, policy: .collectAll)))
    }
    static func closed(_ g: UInt64, children: Int) -> Event {
        Event(.groupClosed(GroupClosed(group: GroupID(g), outcome: .ok, faultCount: 0, childCount: children)))
    }
    static func spawned(_ t: UInt64, group g: UInt64 = 1) -> Event {
        Event(.taskSpawned(TaskSpawned(task: TaskID(t), group: GroupID(g), name: "child-\(t)", site: site)))
    }
    static func started(_ t: UInt64, group g: UInt64 = 1) -> Event {
        Event(.taskStarted(TaskStarted(task: TaskID(t), group: GroupID(g))))
    }
    static func ended(_ t: UInt64, group g: UInt64 = 1) -> Event {
        Event(.taskEnded(TaskEnded(task: TaskID(t), group: GroupID(g), status: .ok, durationNanoseconds: 10)))
    }
}

extension MonitorConfiguration {
    static func with(_ change: (inout MonitorConfiguration) -> Void) -> MonitorConfiguration {
        var c = MonitorConfiguration()
        change(&c)
        return c
    }
}

/// Starts a monitor for a test: never installed as the process default, so tests stay apart.
func startMonitor(at path: String, record: String? = nil, configuration: MonitorConfiguration = .init(),
                  reporter: @escaping @Sendable (String) -> Void = SafeGroupMonitor.standardErrorReporter) throws -> SafeGroupMonitor {
    try SafeGroupMonitor.start(service: "test", socketPath: path, record: record, configuration: configuration,
                               installAsDefault: false, reporter: reporter)
}
