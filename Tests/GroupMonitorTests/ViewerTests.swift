import Foundation
import GroupEvents
@testable import GroupMonitor
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite("Viewers: snapshot, slow readers, limits")
struct ViewerTests {
    /// Checks a viewer's stream: `seq` strictly increases, and every `dropped` notice accounts
    /// exactly for the gap before it (it carries the seq of the last line it replaced).
    static func checkGapsAreAccountedFor(_ events: [(seq: UInt64, event: Event)], after snapshotEnd: UInt64) -> UInt64 {
        var previous: UInt64?
        var droppedLines: UInt64 = 0
        for (seq, event) in events where seq > snapshotEnd {
            if let previous { #expect(seq > previous, "seq must increase") }
            if case .dropped(let d) = event.kind, let previous {
                #expect(seq - previous == d.count, "a dropped notice covers its gap exactly")
                droppedLines += d.count
            } else if let previous, seq != previous + 1 {
                Issue.record("a gap from \(previous) to \(seq) with no dropped notice")
            }
            previous = seq
        }
        return droppedLines
    }

    @Test func slowViewersDropCountedLinesAndNeverBlockTheProducer() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with {
            $0.viewerBufferBytes = 64 * 1024
            $0.stallTimeout = .seconds(120)
        })
        defer { monitor.shutdown() }
        let neverReads = try TestClient(path: monitor.socketPath, receiveBuffer: 4096)
        let slow = try TestClient(path: monitor.socketPath, receiveBuffer: 4096)
        #expect(await eventually { monitor.statistics.viewers == 2 })

        let emitted = Atomic<Int>(0)
        let producer = Task.detached {
            monitor.emit(Lifecycle.opened(1))
            emitted.add(1, ordering: .relaxed)
            var task: UInt64 = 0
            while emitted.load(ordering: .relaxed) < 100_000 {
                task += 1
                for event in [Lifecycle.spawned(task), Lifecycle.started(task), Lifecycle.ended(task)] {
                    monitor.emit(event)
                    emitted.add(1, ordering: .relaxed)
                }
            }
        }
        // One byte a second while the service produces.
        for _ in 0..<3 {
            slow.read(maximum: 1)
            try await Task.sleep(for: .seconds(1))
        }
        await producer.value
        #expect(emitted.load(ordering: .relaxed) >= 100_000, "every emit returned")

        #expect(await eventually {
            let s = monitor.statistics
            return s.delivered + s.dropped == s.produced
        })
        let stats = monitor.statistics
        #expect(stats.produced == UInt64(emitted.load(ordering: .relaxed)))
        #expect(stats.produced == stats.delivered + stats.dropped)
        #expect(stats.viewerLinesDropped > 0)
        #expect(stats.viewers == 2, "slow viewers are not disconnected before the stall limit")

        // Both now catch up and learn in-band how much they missed.
        for viewer in [slow, neverReads] {
            viewer.read(until: { records in
                records.contains { if case .event(_, let e) = $0, case .dropped = e.kind { true } else { false } }
                    && records.contains { if case .event(_, let e) = $0, case .heartbeat = e.kind { true } else { false } }
            })
            let dropped = Self.checkGapsAreAccountedFor(viewer.events, after: 0)
            #expect(dropped > 0, "the viewer was told how many lines it lost")
        }
    }

    @Test func lateViewerGetsASnapshotConsistentWithTheLiveStream() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.viewerBufferBytes = 32 << 20 })
        defer { monitor.shutdown() }
        let openAtOnce: UInt64 = 200
        let total: UInt64 = 20_000
        let attached = Atomic<Bool>(false)

        let producer = Task.detached {
            monitor.emit(Lifecycle.opened(1))
            for task in 1...total {
                monitor.emit(Lifecycle.spawned(task))
                monitor.emit(Lifecycle.started(task))
                if task > openAtOnce { monitor.emit(Lifecycle.ended(task - openAtOnce)) }
                if task == total / 2 {
                    // Half-way: wait for the late viewer, so its snapshot has live tasks in it.
                    while !attached.load(ordering: .relaxed) { usleep(1000) }
                }
                if task % 1000 == 0 { usleep(1000) }
            }
            for task in (total - openAtOnce + 1)...total { monitor.emit(Lifecycle.ended(task)) }
            monitor.emit(Lifecycle.closed(1, children: Int(total)))
        }
        #expect(await eventually { monitor.statistics.produced >= total })
        let viewer = try TestClient(path: monitor.socketPath)
        #expect(await eventually { monitor.statistics.viewers == 1 })
        attached.store(true, ordering: .relaxed)
        await producer.value

        viewer.read(until: { records in
            records.contains { if case .event(_, let e) = $0, case .groupClosed = e.kind { true } else { false } }
        })
        #expect(monitor.statistics.dropped == 0)
        let events = viewer.events
        #expect(!events.contains { if case .dropped = $0.event.kind { true } else { false } })
        #expect(events.first.map { if case .groupOpened = $0.event.kind { true } else { false } } == true,
                "the snapshot starts with the open group")

        var learned = Set<TaskID>()
        var ends: [TaskID: Int] = [:]
        var previous: UInt64 = 0
        for (seq, event) in events {
            #expect(seq > previous)
            previous = seq
            switch event.kind {
            case .taskSpawned(let e): learned.insert(e.task)
            case .taskStarted(let e): learned.insert(e.task)
            case .taskEnded(let e):
                #expect(learned.contains(e.task), "\(e.task) ended before the viewer learned of it")
                ends[e.task, default: 0] += 1
            default: break
            }
        }
        #expect(learned.count > Int(total / 2), "the viewer learned of the tasks live at attach time and after")
        #expect(learned.count < Int(total), "the viewer attached late")
        #expect(learned.allSatisfy { ends[$0] == 1 }, "every task it learned of ends exactly once")
    }

    @Test func viewerBeyondTheLimitGetsOneLineOfRefusal() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.maxViewers = 2 })
        defer { monitor.shutdown() }
        let first = try TestClient(path: monitor.socketPath)
        let second = try TestClient(path: monitor.socketPath)
        first.read(until: { !$0.isEmpty })
        second.read(until: { !$0.isEmpty })

        let third = try TestClient(path: monitor.socketPath)
        var received: [UInt8] = []
        while !third.closedByPeer { received += third.read(timeout: 5000) }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasPrefix("{\"refused\":\"too many viewers"))
        #expect(text.filter { $0 == "\n" }.count == 1)
        #expect(monitor.statistics.viewersRefused == 1)
        #expect(monitor.statistics.viewers == 2)
    }

    @Test func viewerStalledBeyondTheLimitIsDisconnected() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with {
            $0.viewerBufferBytes = 16 * 1024
            $0.stallTimeout = .milliseconds(500)
        })
        defer { monitor.shutdown() }
        let stalled = try TestClient(path: monitor.socketPath, receiveBuffer: 4096)
        #expect(await eventually { monitor.statistics.viewers == 1 })
        monitor.emit(Lifecycle.opened(1))
        var task: UInt64 = 0
        let disconnected = await eventually {
            for _ in 0..<1000 { task += 1; monitor.emit(Lifecycle.spawned(task)) }
            return monitor.statistics.viewersStalled == 1
        }
        #expect(disconnected)
        #expect(monitor.statistics.viewers == 0)
        _ = stalled
    }

    @Test func heartbeatCarriesTheRunningTotals() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.heartbeatInterval = .milliseconds(100) })
        defer { monitor.shutdown() }
        let viewer = try TestClient(path: monitor.socketPath)
        for t in 1...10 { monitor.emit(Lifecycle.spawned(UInt64(t))) }
        viewer.read(until: { records in
            records.contains { if case .event(_, let e) = $0, case .heartbeat(let h) = e.kind { h.produced == 10 } else { false } }
        })
        let beats = viewer.events.compactMap { if case .heartbeat(let h) = $0.event.kind { h } else { nil } }
        #expect(beats.last?.produced == 10)
        #expect(beats.last?.dropped == 0)
    }
}
