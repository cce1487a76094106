import Glibc
import GroupEvents
@testable import GroupMonitor
import SystemCalls
import Testing
import TestSupport

@Suite("The bounded event buffer and line buffers")
struct EventBufferTests {
    @Test func overflowIsCountedSoProducedEqualsDeliveredPlusDropped() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.eventCapacity = 64 })
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<4 {
                group.addTask {
                    for i in 0..<25_000 { monitor.emit(Lifecycle.spawned(UInt64(producer * 100_000 + i))) }
                }
            }
        }
        monitor.shutdown()
        let s = monitor.statistics
        #expect(s.produced == 100_000)
        #expect(s.produced == s.delivered + s.dropped)
    }

    @Test func eventsPassThroughWholeAndInOrderWhileTheTwoBlocksTradePlaces() throws {
        // Names too long for a small string: each event owns storage that a lost or doubled
        // move would free twice or leak.
        func spawned(_ t: UInt64) -> Event {
            Event(.taskSpawned(TaskSpawned(task: TaskID(t), group: GroupID(1), name: "a child with a long name, number \(t)", site: Lifecycle.site)))
        }
        let buffer = try EventBuffer(capacity: 16)
        var block = EventBlock(capacity: 16)
        for round in 0..<3 as Range<UInt64> {
            let sent = (1...10 as ClosedRange<UInt64>).map { spawned(round * 100 + $0) }
            for event in sent { buffer.push(event) }
            _ = buffer.take(into: &block)
            #expect(block.count == 10)
            #expect(block.moveAll() == sent, "round \(round): the events, whole and in order")
            #expect(block.count == 0)
        }
        // Left waiting: the buffer's block destroys them with it.
        for t in 1...5 as ClosedRange<UInt64> { buffer.push(spawned(t)) }
        #expect(buffer.totals.produced == 35)
    }

    @Test func producersWakeTheConsumerWhenItSleepsAndAgainAtHalfTheCapacity() throws {
        let buffer = try EventBuffer(capacity: 16)
        func signalled() -> Bool {
            var fds = [pollfd(fd: buffer.wakeFD, events: Int16(POLLIN), revents: 0)]
            let ready = (try? Posix.poll(&fds, timeoutMilliseconds: 0)) ?? 0
            if ready > 0 { Posix.drain(eventfd: buffer.wakeFD) }
            return ready > 0
        }
        // Asleep: the first event wakes it, the next ones do not.
        #expect(buffer.prepareToSleep())
        buffer.push(Lifecycle.started(1))
        #expect(signalled())
        for t in 2...7 as ClosedRange<UInt64> { buffer.push(Lifecycle.started(t)) }
        #expect(!signalled(), "a consumer letting a batch gather is not woken per event")
        // Half full (8 of 16): woken, once.
        buffer.push(Lifecycle.started(8))
        #expect(signalled())
        for t in 9...14 as ClosedRange<UInt64> { buffer.push(Lifecycle.started(t)) }
        #expect(!signalled())
        var block = EventBlock(capacity: 16)
        _ = buffer.take(into: &block)
        #expect(block.moveAll().count == 14)
    }

    @Test func emitsAfterShutdownAreCountedAsDropped() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"))
        monitor.emit(Lifecycle.opened(1))
        monitor.shutdown()
        monitor.emit(Lifecycle.opened(2))
        let s = monitor.statistics
        #expect(s.produced == 2)
        #expect(s.delivered == 1)
        #expect(s.dropped == 1)
    }

    @Test func lineBufferLosesWholeLinesAndReportsThemWhenTheReaderCatchesUp() throws {
        var encoder = LineEncoder()
        var buffer = LineBuffer(capacity: 300)
        var line: [UInt8] = []
        for seq in 1...10 as ClosedRange<UInt64> {
            line.removeAll()
            encoder.append(Lifecycle.started(seq), seq: seq, to: &line)
            line.withUnsafeBytes { buffer.append($0, seq: seq, encoder: &encoder) }
        }
        #expect(buffer.lost > 0)
        var out: [UInt8] = []
        _ = buffer.drain { out.append(contentsOf: $0); return $0.count }
        buffer.catchUp(encoder: &encoder)
        _ = buffer.drain { out.append(contentsOf: $0); return $0.count }

        let (records, counters) = try WireDecoder.decode(out)
        #expect(counters.malformed == 0, "no line was cut")
        let events = records.compactMap { if case .event(let seq, let e) = $0 { (seq, e) } else { nil } }
        guard case .dropped(let d) = events.last?.1.kind else { Issue.record("no dropped notice at the end"); return }
        #expect(d.count == buffer.lost)
        #expect(events.last?.0 == 10, "the notice carries the seq of the last lost line")
        #expect(UInt64(events.count - 1) + d.count == 10)
    }
}
