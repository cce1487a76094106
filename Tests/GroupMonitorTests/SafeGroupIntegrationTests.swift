import GroupEvents
@testable import GroupMonitor
import SafeGroup
import Testing
import TestSupport

@Suite("A real safe group into the monitor")
struct SafeGroupIntegrationTests {
    struct Declined: Error {}

    @Test func fanOutOfChildrenReachesAViewerWithEveryFault() async throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.viewerBufferBytes = 32 << 20 })
        defer { monitor.shutdown() }
        let viewer = try TestClient(path: monitor.socketPath)
        #expect(await eventually { monitor.statistics.viewers == 1 })

        let report = await withSafeGroup(of: Int.self, name: "fanout", limit: 8, sink: monitor) { group in
            for i in 0..<2_000 {
                await group.spawn("child \(i)") {
                    if i % 10 == 0 { throw Declined() }
                    return i
                }
            }
        }
        #expect(report.faults.count == 200)

        viewer.read(until: { records in
            records.contains { if case .event(_, let e) = $0, case .groupClosed = e.kind { true } else { false } }
        })
        let stats = monitor.statistics
        #expect(stats.produced == stats.delivered + stats.dropped)
        #expect(stats.dropped == 0)
        var spawned = Set<TaskID>()
        var ended: [TaskID: Int] = [:]
        var faults = 0
        for (_, event) in viewer.events {
            switch event.kind {
            case .taskSpawned(let e): spawned.insert(e.task)
            case .taskEnded(let e): ended[e.task, default: 0] += 1
            case .faultRecorded(let f):
                faults += 1
                #expect(f.errorType.contains("Declined"))
            default: break
            }
        }
        #expect(spawned.count == 2_000)
        #expect(spawned.allSatisfy { ended[$0] == 1 })
        #expect(faults == 200)
    }
}
