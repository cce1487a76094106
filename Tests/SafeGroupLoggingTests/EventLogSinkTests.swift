import Foundation
import GroupEvents
import GroupMonitor
import InMemoryLogging
import Logging
import SafeGroup
import SafeGroupLogging
import Testing

@Suite struct EventLogSinkTests {
    struct Declined: Error, CustomStringConvertible {
        var description: String { "card declined" }
    }

    static func logger(_ handler: InMemoryLogHandler, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = level
        return logger
    }

    @Test func aFaultIsLoggedWithItsSafegroupMetadataAtTheConfiguredLevel() async throws {
        let handler = InMemoryLogHandler()
        let sink = EventLogSink(logger: Self.logger(handler), faultLevel: .critical)
        let report = await withSafeGroup(name: "checkout", sink: sink) { group in
            await group.spawn("charge-card") { throw Declined() }
            await group.spawn("reserve-stock") {}
        }
        await sink.flush()
        let fault = try #require(report.faults.first)
        let entries = handler.entries
        #expect(entries.count == 1, "routine events are not logged: \(entries)")
        let entry = try #require(entries.first)
        #expect(entry.level == .critical)
        #expect(entry.message.description == "child 'charge-card' in group 'checkout': error: card declined")
        #expect(entry.metadata[EventLogSink.MetadataKey.task] == "\(fault.task)")
        #expect(entry.metadata[EventLogSink.MetadataKey.taskName] == "charge-card")
        #expect(entry.metadata[EventLogSink.MetadataKey.group] == "\(report.group)")
        #expect(entry.metadata[EventLogSink.MetadataKey.groupName] == "checkout")
        #expect(entry.metadata[EventLogSink.MetadataKey.site] == "\(fault.site)")
        #expect(entry.metadata[EventLogSink.MetadataKey.site]?.description.hasPrefix("SafeGroupLoggingTests/EventLogSinkTests.swift:") == true)
        #expect(entry.metadata[EventLogSink.MetadataKey.kind] == "error")
        #expect(entry.metadata[EventLogSink.MetadataKey.errorType] == "\(String(reflecting: Declined.self))")
    }

    @Test func aChildSlowToCancelIsLoggedAtItsLevel() async throws {
        let handler = InMemoryLogHandler()
        let sink = EventLogSink(logger: Self.logger(handler), slowToCancelLevel: .notice)
        sink.emit(Event(.slowToCancel(SlowToCancel(task: TaskID(42), group: GroupID(3), sinceCancelNanoseconds: 5_000_000_000))))
        await sink.flush()
        let entry = try #require(handler.entries.first)
        #expect(entry.level == .notice)
        #expect(entry.metadata[EventLogSink.MetadataKey.task] == "t42")
        #expect(entry.metadata[EventLogSink.MetadataKey.group] == "g3")
        #expect(entry.metadata[EventLogSink.MetadataKey.sinceCancel] == "5.0 seconds")
    }

    /// A handler that blocks until released: the sink must not block the emitter on it.
    final class BlockingHandler: LogHandler, @unchecked Sendable {
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] } set { metadata[key] = newValue }
        }
        let release = DispatchSemaphore(value: 0)
        let inside = DispatchSemaphore(value: 0)
        let logged = InMemoryLogHandler()
        func log(event: LogEvent) {
            inside.signal()
            release.wait()
            logged.log(event: event)
        }
    }

    @Test func aBlockedLogHandlerNeverBlocksTheEmitterAndDropsAreCounted() async throws {
        let handler = BlockingHandler()
        let sink = EventLogSink(logger: Logger(label: "test", factory: { _ in handler }), capacity: 2)
        let fault = Event(.slowToCancel(SlowToCancel(task: TaskID(1), group: GroupID(1), sinceCancelNanoseconds: 1)))
        sink.emit(fault)
        handler.inside.wait()  // the sink's task is stuck in the handler with the first event
        for _ in 0..<10 { sink.emit(fault) }  // returns at once: 2 queued, 8 dropped
        for _ in 0..<3 { handler.release.signal() }
        await sink.flush()
        let entries = handler.logged.entries
        #expect(entries.count == 3)
        #expect(entries[1].metadata[EventLogSink.MetadataKey.dropped] == "8")
        #expect(entries[2].metadata[EventLogSink.MetadataKey.dropped] == nil)
    }
}

@Suite struct MonitorProblemLogTests {
    @Test func dropsAreLoggedOnceWithHowManyMore() throws {
        let handler = InMemoryLogHandler()
        let problems = MonitorProblemLog(logger: EventLogSinkTests.logger(handler), level: .error)
        let directory = NSTemporaryDirectory() + "sglog-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let monitor = try SafeGroupMonitor.start(service: "log-test", socketPath: directory + "/m.sock", installAsDefault: false)
        monitor.shutdown()
        // After shutdown every event is counted as dropped.
        for _ in 0..<3 { monitor.emit(Event(.heartbeat(Heartbeat()))) }
        problems.check(monitor)
        problems.check(monitor)  // nothing new
        monitor.emit(Event(.heartbeat(Heartbeat())))
        problems.check(monitor)
        let entries = handler.entries
        #expect(entries.map(\.level) == [.error, .error])
        #expect(entries.map { $0.metadata[EventLogSink.MetadataKey.dropped] } == ["3", "1"])
        #expect(entries.map { $0.metadata[EventLogSink.MetadataKey.droppedTotal] } == ["3", "4"])
        #expect(entries.first?.message.description == "the safegroup monitor of 'log-test' dropped 3 events (3 in all)")
    }

    @Test func aRecorderThatStopsIsLoggedThroughTheReporter() async throws {
        let handler = InMemoryLogHandler()
        let problems = MonitorProblemLog(logger: EventLogSinkTests.logger(handler))
        let directory = NSTemporaryDirectory() + "sglog-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // /dev/full takes the open and refuses every write: the recorder stops on its first.
        let monitor = try SafeGroupMonitor.start(service: "log-test", socketPath: directory + "/m.sock", record: "/dev/full",
                                                 installAsDefault: false, reporter: problems.reporter)
        defer { monitor.shutdown() }
        monitor.emit(Event(.heartbeat(Heartbeat())))
        var stopped = false
        for _ in 0..<2000 where !stopped {
            stopped = handler.entries.contains { $0.message.description.contains("/dev/full") }
            if !stopped { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(stopped, "no record of the stopped recorder: \(handler.entries)")
        #expect(handler.entries.first?.level == .warning)
    }
}
