import Foundation
import GroupEvents
@testable import GroupMonitor
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite("Recording to a file")
struct EventRecorderTests {
    @Test func recordingHasTheSocketStreamFormat() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let file = dir.file("run.ndjson")
        let monitor = try startMonitor(at: dir.file("svc.sock"), record: file)
        monitor.emit(Lifecycle.opened(1))
        for t in 1...100 as ClosedRange<UInt64> {
            monitor.emit(Lifecycle.spawned(t))
            monitor.emit(Lifecycle.ended(t))
        }
        monitor.emit(Lifecycle.closed(1, children: 100))
        monitor.shutdown()

        let bytes = try #require(FileManager.default.contents(atPath: file))
        let (records, counters) = try WireDecoder.decode(bytes)
        #expect(counters.malformed == 0 && counters.torn == 0)
        guard case .header(let header) = records.first else { Issue.record("no header first"); return }
        #expect(header.service == "test")
        #expect(header.pid == getpid())
        let events = records.compactMap { if case .event(let seq, let e) = $0 { (seq, e) } else { nil } }
        let lifecycle = events.filter { if case .heartbeat = $0.1.kind { false } else { true } }
        #expect(lifecycle.count == 202)
        #expect(lifecycle.map(\.0) == Array(1...202))
        #expect(monitor.recorder?.failure == nil)
    }

    @Test func recordingToAFullDeviceReportsOnceAndTheServiceGoesOn() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let reports = ReportCollector()
        let monitor = try startMonitor(at: dir.file("svc.sock"), record: "/dev/full", reporter: reports.reporter)
        defer { monitor.shutdown() }
        for t in 1...1000 as ClosedRange<UInt64> { monitor.emit(Lifecycle.spawned(t)) }
        #expect(await eventually { !reports.all.isEmpty })
        for t in 1001...5000 as ClosedRange<UInt64> { monitor.emit(Lifecycle.spawned(t)) }
        #expect(await eventually { monitor.statistics.delivered == 5000 })

        #expect(reports.all.count == 1, "one message, not one per failed write")
        let message = try #require(reports.all.first)
        #expect(message.contains("/dev/full"))
        #expect(message.contains("No space left on device"))
        #expect(monitor.recorder?.isRecording == false)
        #expect(monitor.statistics.dropped == 0)
        // The service, and its socket, go on.
        let viewer = try TestClient(path: monitor.socketPath)
        viewer.read(until: { $0.count >= 2 })
        #expect(viewer.headers.count == 1)
    }

    @Test func recordingToAnUnopenableFileIsReportedAndTheMonitorStarts() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let reports = ReportCollector()
        let monitor = try startMonitor(at: dir.file("svc.sock"), record: dir.file("missing/dir/run.ndjson"), reporter: reports.reporter)
        defer { monitor.shutdown() }
        #expect(monitor.recorder == nil)
        #expect(reports.all.count == 1)
        #expect(reports.all.first?.contains("missing/dir/run.ndjson") == true)
    }

    @Test func recordingToAPipeWhoseReaderLeftFailsWithEPIPEAndDoesNotKillTheProcess() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let fifo = dir.file("stream.fifo")
        try #require(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        let reports = ReportCollector()
        let monitor = try startMonitor(at: dir.file("svc.sock"), record: fifo, reporter: reports.reporter)
        defer { monitor.shutdown() }
        close(reader)
        for t in 1...1000 as ClosedRange<UInt64> { monitor.emit(Lifecycle.spawned(t)) }

        #expect(await eventually { !reports.all.isEmpty })
        #expect(reports.all.count == 1)
        #expect(reports.all.first?.contains("Broken pipe") == true)
        let viewer = try TestClient(path: monitor.socketPath)
        viewer.read(until: { !$0.isEmpty })
        #expect(viewer.headers.count == 1, "the process and its monitor are alive")
    }
}
