import Foundation
import TestSupport

/// The real `demo-service`, built beside the test bundle, serving a given socket: the service a
/// user would attach to.
///
/// Always ``stop(_:)`` it (in a `defer`): a service left running keeps a core busy.
final class DemoServiceProcess {
    static let executable = productsDirectory.appendingPathComponent("demo-service").path

    let socket: String
    private let scratch = ScratchDirectory(prefix: "sgdemo")
    private let child: ChildProcess

    /// Starts `demo-service --socket SOCKET --name NAME --seed SEED`, then `extra` (`--actions`).
    init(socket: String, name: String, seed: UInt64, extra: [String] = []) throws {
        self.socket = socket
        child = try ChildProcess(Self.executable, ["--socket", socket, "--name", name, "--seed", "\(seed)", "--rate", "60"] + extra,
                                 in: scratch)
    }

    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }

    /// Whether it still runs, and the end of what it wrote to standard error: for the message
    /// of a test that waited for it in vain.
    var diagnosis: String {
        "demo-service \(child.isRunning ? "still running" : "exited"), its standard error: \(child.errorsSoFar.suffix(2_000))"
    }

    /// Waits until the service serves its socket (the file exists), at most 15 s.
    func waitForSocket() async -> Bool {
        await eventually(within: .seconds(15)) { FileManager.default.fileExists(atPath: self.socket) }
    }

    /// Sends `signal` and waits until the process has exited (at most 15 s); whether it did.
    @discardableResult
    func stop(_ signal: Int32) async -> Bool {
        guard child.isRunning else { return true }
        child.signal(signal)
        return await eventually(within: .seconds(15)) { !self.child.isRunning }
    }

    /// For `defer`: kills the process if it still runs, without waiting.
    func kill() { child.kill() }
}
