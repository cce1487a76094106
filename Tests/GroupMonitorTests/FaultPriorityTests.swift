import GroupEvents
@testable import GroupMonitor
import Synchronization
import Testing
import TestSupport

/// Under overload routine events are dropped first; faults have a share of the buffers of their
/// own (docs/MONITOR.md, "Loss is counted, never hidden").
@Suite("Faults are the last thing dropped")
struct FaultPriorityTests {
    static func fault(_ t: UInt64) -> Event {
        Event(.faultRecorded(FaultInfo(
            task: TaskID(t), taskName: "child-\(t)", group: GroupID(1), groupName: "g1", site: Lifecycle.site,
            kind: .error, errorType: "ImportError", message: "row \(t) is malformed", startedAt: .now(), endedAt: .now())))
    }

    @Test func faultClassIsFaultsSlowToCancelFaultedClosesAndCrashes() {
        #expect(Self.fault(1).isFaultClass)
        #expect(Event(.slowToCancel(SlowToCancel(task: TaskID(1), group: GroupID(1), sinceCancelNanoseconds: 1))).isFaultClass)
        #expect(Event(.groupClosed(GroupClosed(group: GroupID(1), outcome: .faulted, faultCount: 1, childCount: 2))).isFaultClass)
        #expect(!Event(.groupClosed(GroupClosed(group: GroupID(1), outcome: .cancelled, faultCount: 0, childCount: 2))).isFaultClass)
        #expect(!Lifecycle.closed(1, children: 2).isFaultClass)
        #expect(!Lifecycle.ended(1).isFaultClass)
        #expect(!Event(.heartbeat(Heartbeat())).isFaultClass)
        let crash = ProcessCrashed(signal: 4, signalName: "SIGILL", reason: "trap", thread: 1)
        #expect(Event(.processCrashed(crash)).isFaultClass)
    }

    @Test func eventBufferDropsRoutineEventsFirstAndFaultsOnlyWhenTheirShareIsFull() throws {
        let buffer = try EventBuffer(capacity: 64)
        #expect(buffer.reserved == 8)
        for t in 1...100 as ClosedRange<UInt64> { buffer.push(Lifecycle.started(t)) }  // 56 fit, 44 dropped
        for t in 1...10 as ClosedRange<UInt64> { buffer.push(Self.fault(t)) }          // 8 fit, 2 dropped
        buffer.push(Lifecycle.ended(1))                                                  // full: dropped

        var block = EventBlock(capacity: 64)
        let totals = buffer.take(into: &block)
        let batch = block.moveAll()
        #expect(totals.produced == 111)
        #expect(totals.dropped == 47)
        #expect(totals.droppedFaults == 2)
        #expect(batch.count == 64)
        #expect(batch.filter(\.isFaultClass).count == 8)
        #expect(batch.prefix(56).allSatisfy { !$0.isFaultClass })
    }

    @Test func lineBufferKeepsFaultLinesWhileRoutineLinesAreLostAndCountsBoth() throws {
        var encoder = LineEncoder()
        var buffer = LineBuffer(capacity: 8192)
        var out: [UInt8] = []
        var line: [UInt8] = []
        var faults: [UInt64] = []
        func append(_ event: Event, seq: UInt64) {
            line.removeAll()
            encoder.append(event, seq: seq, to: &line)
            line.withUnsafeBytes { buffer.append($0, seq: seq, isFault: event.isFaultClass, encoder: &encoder) }
        }
        // A reader far slower than the producer: 200 bytes taken every 10 lines, one line in 50 a fault.
        for seq in 1...2000 as ClosedRange<UInt64> {
            if seq % 50 == 0 {
                append(Self.fault(seq), seq: seq)
                faults.append(seq)
            } else {
                append(Lifecycle.started(seq), seq: seq)
            }
            if seq % 10 == 0 {
                _ = buffer.drain { bytes in
                    let n = min(200, bytes.count)
                    out.append(contentsOf: bytes[..<n])
                    return n
                }
            }
        }
        while buffer.pending > 0 || buffer.isLosing {
            _ = buffer.drain { out.append(contentsOf: $0); return $0.count }
            buffer.catchUp(encoder: &encoder)
        }

        let (records, counters) = try WireDecoder.decode(out)
        #expect(counters.malformed == 0, "no line was cut")
        let events = records.compactMap { if case .event(let seq, let e) = $0 { (seq, e) } else { nil } }
        let notices = events.compactMap { if case .dropped(let d) = $0.1.kind { d } else { nil } }
        let received = events.filter { if case .dropped = $0.1.kind { false } else { true } }
        #expect(buffer.lost > 1000, "routine lines were lost")
        #expect(buffer.lostFaults == 0)
        #expect(received.filter { $0.1.isFaultClass }.map(\.0) == faults, "every fault line arrived, in order")
        #expect(notices.map(\.count).reduce(0, +) == buffer.lost)
        #expect(notices.map(\.faults).reduce(0, +) == 0)
        #expect(UInt64(received.count) + buffer.lost == 2000, "every line arrived or was counted")
        #expect(events.map(\.0) == events.map(\.0).sorted(), "seq keeps increasing across notices")
    }

    @Test func lineBufferLosesFaultLinesOnlyWhenTheReserveIsFullAndCountsThemApart() throws {
        var encoder = LineEncoder()
        var buffer = LineBuffer(capacity: 4096)
        var line: [UInt8] = []
        var seq: UInt64 = 0
        func append(_ event: Event) {
            seq += 1
            line.removeAll()
            encoder.append(event, seq: seq, to: &line)
            line.withUnsafeBytes { buffer.append($0, seq: seq, isFault: event.isFaultClass, encoder: &encoder) }
        }
        while buffer.lost == 0 { append(Lifecycle.started(seq + 1)) }
        let routineLost = buffer.lost
        let before = buffer.pending
        #expect(before <= buffer.capacity - buffer.reserved)
        var faultsIn = 0
        while buffer.lostFaults == 0 {
            let pending = buffer.pending
            append(Self.fault(seq + 1))
            if buffer.pending > pending { faultsIn += 1 }
        }
        #expect(faultsIn > 0, "faults took the reserve")
        #expect(buffer.pending <= buffer.capacity)
        var out: [UInt8] = []
        while buffer.pending > 0 || buffer.isLosing {
            _ = buffer.drain { out.append(contentsOf: $0); return $0.count }
            buffer.catchUp(encoder: &encoder)
        }
        let events = try WireDecoder.decode(out).records.compactMap { if case .event(_, let e) = $0 { e } else { nil } }
        let notices = events.compactMap { if case .dropped(let d) = $0.kind { d } else { nil } }
        #expect(notices.map(\.count).reduce(0, +) == routineLost + 1)
        #expect(notices.map(\.faults).reduce(0, +) == 1)
        #expect(events.filter(\.isFaultClass).count == faultsIn)
    }

    @Test func burstOverflowingAViewerLosesNoFaultWhileRoutineEventsAreDropped() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with {
            $0.heartbeatInterval = .seconds(3600)
            $0.stallTimeout = .seconds(3600)
        })
        defer { monitor.shutdown() }
        let viewer = try TestClient(path: monitor.socketPath, receiveBuffer: 4096)
        #expect(await eventually { monitor.statistics.viewers == 1 })
        viewer.read(until: { !$0.isEmpty })  // the header

        // 30,000 events, 1% faults, the last one a fault too; nobody reads meanwhile.
        let total: UInt64 = 30_000
        var faults: [UInt64] = []
        for t in 1...total {
            if t % 100 == 0 {
                monitor.emit(Self.fault(t))
                faults.append(t)
            } else {
                monitor.emit(Lifecycle.started(t))
            }
        }
        #expect(await eventually { let s = monitor.statistics; return s.delivered + s.dropped == s.produced })
        let stats = monitor.statistics
        try #require(stats.dropped == 0, "the sink kept everything: this test is about the viewer's buffer")
        #expect(stats.viewerLinesDropped > 0, "the burst overflowed the viewer's buffer")

        viewer.read(until: { records in
            records.contains { if case .event(_, let e) = $0, case .faultRecorded(let f) = e.kind { f.task.rawValue == total } else { false } }
        })
        let received = viewer.events.filter { if case .dropped = $0.event.kind { false } else { true } }
        let notices = viewer.events.compactMap { if case .dropped(let d) = $0.event.kind { d } else { nil } }
        let receivedFaults = received.compactMap { if case .faultRecorded(let f) = $0.event.kind { f.task.rawValue } else { nil } }
        #expect(receivedFaults == faults, "no fault was dropped")
        #expect(notices.map(\.faults).reduce(0, +) == 0)
        #expect(received.count < Int(total), "routine events were dropped")
        #expect(UInt64(received.count) + notices.map(\.count).reduce(0, +) == total, "counts are exact")
        #expect(notices.map(\.count).reduce(0, +) == monitor.statistics.viewerLinesDropped)
        let seqs = viewer.events.map(\.seq)
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $0 < $1 }, "seq keeps increasing across notices")
        // Each notice's seq is that of the last line it counts: the lines between two received
        // lines are exactly the notices' counts.
        var previous: UInt64 = 0
        var lostSincePrevious: UInt64 = 0
        for (seq, event) in viewer.events {
            if case .dropped(let d) = event.kind {
                lostSincePrevious += d.count
                #expect(seq - previous == lostSincePrevious, "notice at seq \(seq)")
                previous = seq
                lostSincePrevious = 0
            } else {
                #expect(seq == previous + 1 || previous == 0, "a gap before seq \(seq) that no notice counts")
                previous = seq
            }
        }
    }
}
