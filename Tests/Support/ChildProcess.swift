import Foundation
import Glibc

/// The directory of the built products: a test bundle sits beside the package's executables.
public let productsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

/// A built executable run as a child process, its output going to files in a scratch directory
/// (no pipe can fill and block it).
public final class ChildProcess {
    public let process = Process()
    private let outPath: String
    private let errPath: String

    /// Starts product `executable` (a name in ``productsDirectory``, or an absolute path).
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                removing removed: [String] = [], in directory: ScratchDirectory) throws {
        let id = UUID().uuidString
        outPath = directory.file("out-\(id)")
        errPath = directory.file("err-\(id)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = executable.hasPrefix("/")
            ? URL(fileURLWithPath: executable) : productsDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in removed { env[key] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// What it has written to standard output and standard error so far.
    public var outputSoFar: String { String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self) }
    public var errorsSoFar: String { String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self) }

    /// Waits for its end, at most `limit`; false (and the process killed) when it ran over.
    public func waitForExit(within limit: Duration = .seconds(20)) async -> Bool {
        let ended = await eventually(within: limit) { !process.isRunning }
        if !ended { kill() }
        process.waitUntilExit()
        return ended
    }

    /// Its exit status and everything it wrote, once it has ended.
    public var result: (status: Int32, stdout: Data, stderr: Data) {
        (process.terminationStatus, FileManager.default.contents(atPath: outPath) ?? Data(),
         FileManager.default.contents(atPath: errPath) ?? Data())
    }

    /// Kills it if it still runs, without waiting (for `defer`).
    public func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
