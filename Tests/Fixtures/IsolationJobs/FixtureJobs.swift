// Jobs for GroupIsolation's tests: the same definitions serve the worker (isolation-fixture
// registers them) and the tests (which name them to a pool). The traps are real.
import GroupIsolation
import SafeGroup
import Glibc

/// Every job of the fixture worker.
public let fixtureJobs = IsolatedJobRegistry(
    EchoJob.self, SumJob.self, TrapJob.self, ThrowJob.self, SleepJob.self, ChattyJob.self, ExitJob.self, PIDJob.self,
    FalseAlarmJob.self, PrintThenSleepJob.self, MainActorJob.self, OrphanWriterJob.self,
    SecondReadyJob.self
)

/// Returns its input.
public enum EchoJob: IsolatedJob {
    public static let name = "echo"
    public static func run(_ input: String) async throws -> String { input }
}

/// Adds up its input.
public enum SumJob: IsolatedJob {
    public static let name = "sum"
    public static func run(_ input: [Int]) async throws -> Int { input.reduce(0, +) }
}

/// The ways a job can trap.
public enum TrapKind: String, Codable, Sendable, CaseIterable {
    case nilUnwrap, indexOutOfRange, fatalError, stackOverflow
}

/// Traps the way its input says (and returns 0 for none, which never happens).
public enum TrapJob: IsolatedJob {
    public static let name = "trap"
    public static func run(_ input: TrapKind) async throws -> Int {
        Traps.trap(input, depth: input.rawValue.count)
    }
}

/// Where the traps happen: functions of their own, so the worker's stack names them.
public enum Traps {
    @inline(never)
    public static func trap(_ kind: TrapKind, depth: Int) -> Int {
        switch kind {
        case .nilUnwrap: return unwrapMissing(depth)
        case .indexOutOfRange: return readPastEnd(depth)
        case .fatalError: return giveUp(depth)
        case .stackOverflow: return recurse(depth)
        }
    }

    @inline(never)
    static func unwrapMissing(_ depth: Int) -> Int {
        let found: Int? = depth > 1_000 ? depth : nil
        return found!
    }

    @inline(never)
    static func readPastEnd(_ depth: Int) -> Int {
        let values = [1, 2, 3]
        return values[depth + values.count]
    }

    @inline(never)
    static func giveUp(_ depth: Int) -> Int {
        fatalError("the fixture job gave up after \(depth) steps")
    }

    @inline(never)
    static func recurse(_ depth: Int) -> Int {
        var frame = (depth, depth &+ 1, depth &+ 2, depth &+ 3)
        withUnsafeMutablePointer(to: &frame) { _ = $0 }
        return recurse(depth &+ 1) &+ frame.0
    }
}

/// The error ``ThrowJob`` throws.
public struct FixtureError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "fixture failure: \(reason)" }
}

/// Throws ``FixtureError`` with its input as the reason (wrapped in `TracedError` when it
/// starts with "traced:", so the error carries its creation stack).
public enum ThrowJob: IsolatedJob {
    public static let name = "throw"
    public static func run(_ input: String) async throws -> Int {
        if input.hasPrefix("traced:") { throw TracedError(FixtureError(reason: String(input.dropFirst(7)))) }
        throw FixtureError(reason: input)
    }
}

/// Sleeps `input` milliseconds (not cancellable from outside: only killing the worker ends it).
public enum SleepJob: IsolatedJob {
    public static let name = "sleep"
    public static func run(_ input: Int) async throws -> Int {
        usleep(UInt32(input) * 1_000)
        return input
    }
}

/// Writes on stdout and stderr, things that look like frames among them, then returns.
public enum ChattyJob: IsolatedJob {
    public static let name = "chatty"
    public static func run(_ input: String) async throws -> String {
        let junk: [UInt8] = [0x05, 0, 0, 0, 3, 0xFF, 0xFE] + Array("\u{1B}[2J \(input)\n".utf8)
        _ = junk.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        _ = junk.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        print("chatty on stdout: \(input)")
        return input.uppercased()
    }
}

/// Exits the worker with status `input`.
public enum ExitJob: IsolatedJob {
    public static let name = "exit"
    public static func run(_ input: Int32) async throws -> Int { exit(input) }
}

/// The worker's process id.
public enum PIDJob: IsolatedJob {
    public static let name = "pid"
    public static func run(_ input: Int) async throws -> Int32 { getpid() }
}

/// Prints what looks like the start of a crash, then returns normally.
public enum FalseAlarmJob: IsolatedJob {
    public static let name = "false-alarm"
    public static func run(_ input: String) async throws -> String {
        let line = Array("Main.swift:1: Fatal error: only a message, no trap\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        usleep(20_000)
        return input
    }
}

/// What ``PrintThenSleepJob`` prints and how long it then sleeps.
public struct PrintThenSleep: Codable, Sendable {
    public var line: String
    public var milliseconds: Int
    public init(line: String, milliseconds: Int) {
        self.line = line
        self.milliseconds = milliseconds
    }
}

/// Writes a line of its input on stderr (user data that may look like a crash), sleeps, and
/// returns the line.
public enum PrintThenSleepJob: IsolatedJob {
    public static let name = "print-then-sleep"
    public static func run(_ input: PrintThenSleep) async throws -> String {
        let line = Array("\(input.line)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        usleep(UInt32(input.milliseconds) * 1_000)
        return input.line
    }
}

/// Work that must run on the main actor of the worker.
@MainActor
public enum MainActorWork {
    public static func double(_ value: Int) -> Int {
        MainActor.assertIsolated()
        return value * 2
    }
}

/// Awaits a `@MainActor` function: the worker's main actor must be serviced.
public enum MainActorJob: IsolatedJob {
    public static let name = "main-actor"
    public static func run(_ input: Int) async throws -> Int {
        await MainActorWork.double(input)
    }
}

/// Leaves a grandchild that writes on the worker's stderr for ever, then kills its worker: the
/// grandchild holds the output pipe open and never stops filling it.
public enum OrphanWriterJob: IsolatedJob {
    public static let name = "orphan-writer"
    public static func run(_ input: Int) async throws -> Int {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup("while :; do echo orphan; done >&2"), nil]
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return -1 }
        usleep(50_000)
        kill(getpid(), SIGKILL)
        return Int(pid)
    }
}

/// Writes a second "ready" frame on the reply channel in the middle of its job (a confused
/// or hostile worker), then sleeps `input` milliseconds and returns `input`.
public enum SecondReadyJob: IsolatedJob {
    public static let name = "second-ready"
    public static func run(_ input: Int) async throws -> Int {
        func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let job = Array("echo".utf8)
        let body: [UInt8] = [1] + u32(1) + u32(UInt32(bitPattern: getpid())) + u32(1) + u32(UInt32(job.count)) + job
        let frame = u32(UInt32(body.count)) + body
        _ = frame.withUnsafeBytes { write(4, $0.baseAddress, $0.count) }
        usleep(UInt32(input) * 1_000)
        return input
    }
}
