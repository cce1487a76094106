import GroupEvents
@testable import GroupMonitor
import Testing
import TestSupport

/// Whatever viewers do, each one receives every event or is told it lost it: for each viewer,
/// the events it received plus the counts of the `dropped` events it received are exactly the
/// events produced (docs/MONITOR.md, "Loss is counted, never hidden").
@Suite("Every viewer's losses add up")
struct ViewerAccountingTests {
    @Test func sixteenViewersOneOfThemStalledEachReceiveEveryEventOrItsCount() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with {
            $0.viewerBufferBytes = 256 * 1024
            $0.heartbeatInterval = .seconds(3600)
            $0.stallTimeout = .seconds(3600)
        })
        defer { monitor.shutdown() }
        let readers = try (0..<15).map { _ in try TestClient(path: monitor.socketPath, receiveBuffer: 4096) }
        let stalled = try TestClient(path: monitor.socketPath, receiveBuffer: 4096)
        #expect(await eventually { monitor.statistics.viewers == 16 })

        // 40,000 events; the last, a fault, marks the end (faults are the last thing dropped).
        let total: UInt64 = 40_000
        let producer = Task.detached {
            for t in 1..<total {
                monitor.emit(t % 3 == 0 ? Lifecycle.ended(t) : Lifecycle.started(t))
                if t % 5000 == 0 { await Task.yield() }
            }
            monitor.emit(FaultPriorityTests.fault(total))
        }
        func sawEnd(_ viewer: TestClient) -> Bool {
            viewer.records.contains { if case .event(_, let e) = $0, case .faultRecorded = e.kind { true } else { false } }
        }
        // The readers read as they can, in turns, while the service produces.
        let end = ContinuousClock.now + .seconds(30)
        while readers.contains(where: { !sawEnd($0) }), ContinuousClock.now < end {
            for reader in readers where !sawEnd(reader) { reader.read(maximum: 16_384, timeout: 1) }
        }
        await producer.value
        #expect(await eventually { let s = monitor.statistics; return s.delivered + s.dropped == s.produced })
        let stats = monitor.statistics
        #expect(stats.produced == total)
        #expect(stats.produced == stats.delivered + stats.dropped)
        try #require(stats.dropped == 0, "the sink kept everything: this test is about the viewers' buffers")

        // The stalled viewer reads only now.
        stalled.read(until: { _ in sawEnd(stalled) })
        var viewerLost: UInt64 = 0
        for (index, viewer) in (readers + [stalled]).enumerated() {
            #expect(sawEnd(viewer), "viewer \(index) never received the last event")
            let notices = viewer.events.compactMap { if case .dropped(let d) = $0.event.kind { d.count } else { nil } }
            let received = viewer.events.count - notices.count
            #expect(UInt64(received) + notices.reduce(0, +) == total, "viewer \(index): \(received) received, \(notices) dropped")
            viewerLost += notices.reduce(0, +)
        }
        let stalledLost = stalled.events.compactMap { if case .dropped(let d) = $0.event.kind { d.count } else { nil } }.reduce(0, +)
        #expect(stalledLost > 0, "the stalled viewer lost lines")
        #expect(viewerLost == stats.viewerLinesDropped, "the monitor's count is the viewers' counts")
    }
}
