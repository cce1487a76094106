import Foundation
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// The real `demo-service`, built beside the test bundle, serving a given socket: the service a
/// user would attach to.
///
/// Always ``stop(_:)`` it (in a `defer`): a service left running keeps a core busy.
final class DemoServiceProcess {
    static let executable = productsDirectory.appendingPathComponent("demo-service").path

    let socket: String
    private let process = Process()

    /// Starts `demo-service --socket SOCKET --name NAME --seed SEED`.
    init(socket: String, name: String, seed: UInt64) throws {
        self.socket = socket
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--socket", socket, "--name", name, "--seed", "\(seed)", "--rate", "60"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits until the service serves its socket (the file exists), at most 15 s.
    func waitForSocket() async -> Bool {
        await eventually(within: .seconds(15)) { FileManager.default.fileExists(atPath: self.socket) }
    }

    /// Sends `signal` and waits until the process has exited (at most 15 s); whether it did.
    @discardableResult
    func stop(_ signal: Int32) async -> Bool {
        guard process.isRunning else { return true }
        Glibc.kill(process.processIdentifier, signal)
        return await eventually(within: .seconds(15)) { !self.process.isRunning }
    }

    /// For `defer`: kills the process if it still runs, without waiting.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
