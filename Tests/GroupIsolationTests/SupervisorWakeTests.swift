import Foundation
@testable import GroupIsolation
import IsolationTestJobs
import Testing

/// The supervisor's wake descriptor outlives every caller that may signal it.
@Suite(.serialized)
struct SupervisorWakeTests {
    @Test func aCancellationAfterShutdownWritesToNoReusedDescriptor() throws {
        let pool = try fixturePool()
        let supervisor = pool.supervisor
        let wake = supervisor.wakeFD
        pool.shutdown()
        // A file opened now gets the lowest free number: the wake descriptor's, had shutdown
        // closed it.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wake-\(getpid())-\(UUID())").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        #expect(fd != wake, "the wake descriptor was closed while the supervisor lives")
        // What a job's cancellation handler does when it runs after (or during) the shutdown.
        supervisor.cancel(12_345)
        var status = stat()
        #expect(fstat(fd, &status) == 0)
        #expect(status.st_size == 0, "a cancellation wrote \(status.st_size) bytes into an unrelated file")
    }

    @Test func shutdownFromTheOnEventHandlerLeavesTheLoopItsDescriptor() async throws {
        let holder = PoolHolder()
        let pool = try fixturePool(onEvent: { event in
            // The replacement's `ready`, on the pool's own thread.
            if case .ready = event, let pool = holder.pool {
                pool.shutdown()
                holder.shutDownFromEvent = true
            }
        })
        #expect(try await pool.run(EchoJob.self, "first") == "first")
        let wakeID = Self.eventfdID(pool.supervisor.wakeFD)
        #expect(wakeID != nil)
        holder.pool = pool
        // The worker exits; its replacement's `ready` shuts the pool down from its thread.
        _ = try? await pool.run(ExitJob.self, 0)
        let end = ContinuousClock.now + .seconds(30)
        while !(holder.shutDownFromEvent && pool.workerPIDs.isEmpty), ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(holder.shutDownFromEvent)
        #expect(pool.workerPIDs.isEmpty, "the shutdown from the pool's thread did not end its workers")
        // The loop ran to its end with its descriptor open, and the supervisor still owns it.
        // (The same eventfd, not another one that took its number: a closed descriptor's number
        // is soon taken by Dispatch's own eventfd.)
        #expect(Self.eventfdID(pool.supervisor.wakeFD) == wakeID, "the wake descriptor was closed under the loop")
        await #expect(throws: IsolationError.self) { try await pool.run(EchoJob.self, "after") }
        holder.pool = nil
    }

    /// The kernel's id of the eventfd open as `fd` (`eventfd-id` in its fdinfo), nil when `fd`
    /// is not an eventfd.
    static func eventfdID(_ fd: Int32) -> String? {
        guard let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8) else { return nil }
        return info.split(separator: "\n").first { $0.hasPrefix("eventfd-id:") }.map(String.init)
    }

    final class PoolHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: WorkerPool?
        private var flag = false
        var shutDownFromEvent: Bool {
            get { lock.withLock { flag } }
            set { lock.withLock { flag = newValue } }
        }
        var pool: WorkerPool? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }
}
