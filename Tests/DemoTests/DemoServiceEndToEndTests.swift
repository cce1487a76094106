import Foundation
import GroupEvents
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension DemoTests {
    /// Runs the real, built `demo-service` and reads its socket like a viewer does.
    @Suite("demo-service, end to end")
    struct DemoServiceEndToEndTests {
        /// The executable, built beside the test bundle (the test target depends on it).
        static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("demo-service")

        @Test func servesEventsWithFaultsAndStacksThenExitsCleanlyAndRemovesItsSocket() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "no demo-service at \(Self.executable.path)")
            let directory = ScratchDirectory(prefix: "demo-e2e")
            defer { withExtendedLifetime(directory) {} }  // removed at the end of the test, not before
            let socketPath = directory.file("demo.sock")

            let process = try ChildProcess(Self.executable.path, ["--socket", socketPath, "--name", "demo-e2e", "--duration", "3", "--rate", "300", "--seed", "11"],
                                           in: directory)
            defer { process.terminate() }

            let viewer = try #require(await connect(to: socketPath), "could not connect to \(socketPath) within 15 s")
            defer { close(viewer) }
            var decoder = WireDecoder()
            var header: WireHeader?
            var headerCameFirst = false
            var spawned = 0, ended = 0
            var faultWithStack: FaultInfo?
            var isolatedSpawned = 0
            var crashes: [FaultInfo] = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            // The service runs 3 s and then closes the socket: read to the end of the stream.
            let readUntil = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < readUntil {
                let count = buffer.withUnsafeMutableBytes { read(viewer, $0.baseAddress, $0.count) }
                if count == 0 { break }
                if count < 0 { if errno == EAGAIN || errno == EINTR { continue } else { break } }
                try decoder.feed(buffer[..<count])
                while let record = decoder.next() {
                    switch record {
                    case .header(let h):
                        headerCameFirst = header == nil && spawned == 0 && ended == 0
                        header = h
                    case .event(_, let event):
                        switch event.kind {
                        case .taskSpawned(let spawn):
                            spawned += 1
                            if spawn.isolated { isolatedSpawned += 1 }
                        case .taskEnded: ended += 1
                        case .faultRecorded(let fault) where fault.kind == .crash: crashes.append(fault)
                        case .faultRecorded(let fault) where !fault.stack.isEmpty && faultWithStack == nil: faultWithStack = fault
                        default: break
                        }
                    case .diagnostic(let diagnostic):
                        Issue.record("the stream had a bad line: \(diagnostic)")
                    }
                }
            }
            #expect(header?.service == "demo-e2e")
            #expect(header?.pid == process.pid)
            #expect(headerCameFirst, "the header should be the first line")
            #expect(spawned > 0, "no task.spawned event arrived")
            #expect(ended > 0, "no task.ended event arrived")
            let fault = try #require(faultWithStack, "no fault with a stack arrived in 3 s of demo at 300 children/s")
            #expect(fault.stack.contains { !$0.symbol.isEmpty })
            // Invoice imports run their parser in worker processes (demo-service's --workers).
            #expect(isolatedSpawned > 0, "no isolated child was spawned")
            // Every third import traps its parser in a worker: a recovered crash with its stack.
            #expect(!crashes.isEmpty, "no crash of an isolated child arrived (\(isolatedSpawned / 3) imports ran)")
            for crash in crashes {
                #expect(crash.stackOrigin == "worker" && crash.signal != nil && !crash.stack.isEmpty, "\(crash)")
                #expect(crash.stack.contains { $0.symbol.contains("LegacyInvoiceParser") }, "\(crash.stack.map(\.symbol))")
            }

            try #require(await eventually(within: .seconds(15)) { !process.isRunning }, "demo-service did not exit after --duration 3")
            #expect(process.exitStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: socketPath), "demo-service left its socket behind")
            let printed = process.outputSoFar
            #expect(printed.split(separator: "\n").first == "demo-service: serving events on \(socketPath)")
        }

        @Test func sigtermStopsItCleanly() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "no demo-service at \(Self.executable.path)")
            let directory = ScratchDirectory(prefix: "demo-term")
            defer { withExtendedLifetime(directory) {} }  // removed at the end of the test, not before
            let socketPath = directory.file("demo.sock")

            let process = try ChildProcess(Self.executable.path, ["--socket", socketPath, "--seed", "12"], in: directory)
            defer { process.kill() }

            try #require(await eventually { FileManager.default.fileExists(atPath: socketPath) }, "demo-service never created \(socketPath)")
            // Let some runs start, so that the stop has runs in flight to cancel.
            try await Task.sleep(for: .milliseconds(300))
            process.terminate()
            try #require(await eventually { !process.isRunning }, "demo-service did not stop on SIGTERM")
            #expect(process.exitStatus == 0)
            #expect(!FileManager.default.fileExists(atPath: socketPath), "demo-service left its socket behind")
        }

        /// `--trap-in-process-after`: one child traps in-process, the service dies of SIGILL, and
        /// its recording ends with the last gasp naming a child it said would trap.
        @Test func trapInProcessAfterKillsItByTheTrapAfterItsLastGasp() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "no demo-service at \(Self.executable.path)")
            let directory = ScratchDirectory(prefix: "demo-trap")
            defer { withExtendedLifetime(directory) {} }  // removed at the end of the test, not before
            let recording = directory.file("trap.ndjson")

            let process = try ChildProcess(Self.executable.path, ["--socket", directory.file("demo.sock"), "--seed", "13",
                                                                  "--trap-in-process-after", "0.5"],
                                           environment: ["SAFEGROUP_RECORD": recording, "SWIFT_BACKTRACE": "enable=no"], in: directory)
            defer { process.kill() }

            try #require(await eventually(within: .seconds(30)) { !process.isRunning }, "demo-service did not trap")
            #expect(process.terminatingSignal == SIGILL)
            let decoded = try WireDecoder.decode(try Data(contentsOf: URL(fileURLWithPath: recording)))
            guard case .event(_, let last)? = decoded.records.last, case .processCrashed(let crash) = last.kind else {
                Issue.record("the recording does not end with the last gasp: \(decoded.records.suffix(2))")
                return
            }
            #expect(crash.reason.contains("Fatal error: Unexpectedly found nil"))
            let told = process.errorsSoFar
            let task = try #require(crash.task, "the crash names no child")
            #expect(told.contains("demo-service: child \(task) '"), "the child that trapped was not one told of:\n\(told.prefix(2000))")
        }

        @Test func negativeTrapDelayIsRefused() throws {
            let directory = ScratchDirectory(prefix: "demo-neg")
            let process = try ChildProcess(Self.executable.path, ["--trap-in-process-after=-1"], in: directory)
            process.waitUntilExit()
            let text = process.errorsSoFar
            #expect(process.exitStatus == 64)
            #expect(text.contains("--trap-in-process-after must be a number of seconds, 0 or more, not -1.0"), "\(text)")
        }

        /// Connects a blocking socket with a 1 s receive timeout to `path`, retrying until the
        /// service listens (at most 15 s).
        private func connect(to path: String) async -> Int32? {
            let end = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < end {
                let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { return nil }
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in
                    raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
                }
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
                if connected == 0 {
                    var timeout = timeval(tv_sec: 1, tv_usec: 0)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    return fd
                }
                close(fd)
                try? await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
    }
}
