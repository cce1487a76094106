import Foundation
import GroupEvents
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What a finished run of `safegroup` left: its status, and everything it wrote.
struct CommandResult {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// `safegroup` run as a child process, its output going to files (no pipe can fill and block it).
final class CommandProcess {
    let child: ChildProcess

    init(_ arguments: [String], environment: [String: String] = [:], in directory: ScratchDirectory) throws {
        child = try ChildProcess("safegroup", arguments, environment: environment, removing: ["SAFEGROUP_SOCKET"], in: directory)
    }

    var pid: Int32 { child.pid }

    /// What it has written to standard output and standard error so far.
    var outputSoFar: String { child.outputSoFar }
    var errorsSoFar: String { child.errorsSoFar }

    /// Waits for the end, at most `limit`; kills the process and fails the test if it runs over.
    func finish(within limit: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation) async -> CommandResult {
        if await !child.waitForExit(within: limit) {
            Issue.record("safegroup \(child.arguments) still running after \(limit); killed", sourceLocation: sourceLocation)
        }
        let (status, out, err) = child.result
        return CommandResult(status: status, stdout: Array(out), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// Runs `safegroup` with `arguments` to its end.
func safegroup(_ arguments: [String], environment: [String: String] = [:], in directory: ScratchDirectory,
               within limit: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation) async throws -> CommandResult {
    try await CommandProcess(arguments, environment: environment, in: directory).finish(within: limit, sourceLocation: sourceLocation)
}

/// A `monitor-fixture serve SOCKET` process: a real service with a monitor on SOCKET.
final class MonitorFixture {
    let child: ChildProcess
    private let scratch = ScratchDirectory(prefix: "sgfix")
    /// The fixture's pid, as it printed it once ready.
    private(set) var servingPID: Int32 = 0

    /// Starts the fixture and waits until it serves (or fails the test).
    init(socket: String, fanout: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        child = try ChildProcess("monitor-fixture", ["serve", socket] + (fanout ? ["--fanout"] : []),
                                 in: scratch, input: true, output: .lines)
        // The fixture prints "ready <pid>" once its socket is listening, or "error: …".
        let text = (child.readLine() ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("ready "), let pid = Int32(text.dropFirst(6)) else {
            Issue.record("monitor-fixture did not start: \(text) \(child.errorsSoFar)", sourceLocation: sourceLocation)
            throw FixtureFailure(message: text)
        }
        servingPID = pid
    }

    struct FixtureFailure: Error { var message: String }

    /// Kills it with SIGKILL: its socket and lock file stay behind, stale.
    func kill9() {
        child.kill()
        child.waitUntilExit()
    }

    func quit() {
        guard child.isRunning else { return }
        child.send("quit")
        child.waitUntilExit()
    }
}

/// Decodes a whole stream, failing the test on a header it cannot read.
func decodeStream(_ bytes: [UInt8]) throws -> (records: [WireRecord], counters: WireDecoder.Counters) {
    try WireDecoder.decode(bytes)
}

extension [WireRecord] {
    var events: [(seq: UInt64, event: Event)] {
        compactMap { if case .event(let seq, let event) = $0 { (seq, event) } else { nil } }
    }
}
