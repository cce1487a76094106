import Foundation
import GroupEvents
import GroupEventsTesting
import GroupMonitor
import SafeGroup
import SafeGroupLifecycle
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// The monitor as a `Service`: started in `run()`, stopped on a graceful shutdown.
@Suite(.serialized) struct SafeGroupMonitorServiceTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "sglc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        return path
    }

    @Test func runStartsTheMonitorAndAGracefulShutdownStopsIt() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/svc.sock"
        let extra = InMemoryEventSink()
        let service = SafeGroupMonitorService(service: "lifecycle-test", socketPath: socket, sinks: [extra])
        try await testGracefulShutdown { trigger in
            async let run: Void = service.run()
            let monitor = try #require(await service.started())
            #expect(monitor.socketPath == socket)
            #expect(FileManager.default.fileExists(atPath: socket))
            // Installed with the extra sink beside it.
            let installed = try #require(EventSystem.sink as? MultiplexEventSink)
            #expect(installed.sinks.count == 2)
            // Last: the multiplexer hands the last sink the event itself, the others copies.
            #expect(installed.sinks.last.map { $0 as AnyObject === monitor } == true)
            _ = await withSafeGroup(name: "seen") { group in await group.spawn { } }
            #expect(extra.count == 5)  // opened, spawned, started, ended, closed
            trigger.triggerGracefulShutdown()
            try await run
        }
        #expect(service.monitor == nil)
        #expect(!FileManager.default.fileExists(atPath: socket))
        #expect(EventSystem.sink == nil)
        #expect(await service.started() == nil)
    }

    @Test func aMonitorThatCannotStartFailsTheServiceAndWakesItsWaiters() async throws {
        let service = SafeGroupMonitorService(service: "lifecycle-test", socketPath: "/nonexistent-dir/x/svc.sock")
        async let waiter = service.started()
        await #expect(throws: MonitorError.self) { try await service.run() }
        #expect(await waiter == nil)
    }
}
