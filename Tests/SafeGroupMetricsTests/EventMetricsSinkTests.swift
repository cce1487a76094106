import CoreMetrics
import Foundation
import GroupEvents
import GroupMonitor
import MetricsTestKit
import SafeGroup
import SafeGroupMetrics
import Testing
import TestSupport

@Suite struct EventMetricsSinkTests {
    struct Declined: Error {}

    static let file = "SafeGroupMetricsTests/EventMetricsSinkTests.swift"

    @Test func childrenFaultsRunningAndDurationsAreCountedBySpawnSite() async throws {
        let metrics = TestMetrics()
        let sink = EventMetricsSink(factory: metrics)
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let waiting = [("site", "\(Self.file):\(#line + 3)")]
        let others = [("site", "\(Self.file):\(#line + 10)")]
        let report = await withSafeGroup(name: "prices", sink: sink) { group in
            await group.spawn("waits") {
                starting.yield()
                for await _ in gate { break }
            }
            for await _ in started { break }
            #expect(try! metrics.expectMeter(EventMetricsSink.Label.running, waiting).lastValue == 1)
            open.yield()
            for index in 0..<3 {
                await group.spawn("price \(index)") { if index == 1 { throw Declined() } }
            }
        }
        #expect(report.faults.count == 1)
        #expect(try metrics.expectCounter(EventMetricsSink.Label.spawned, waiting).totalValue == 1)
        #expect(try metrics.expectCounter(EventMetricsSink.Label.spawned, others).totalValue == 3)
        #expect(try metrics.expectMeter(EventMetricsSink.Label.running, waiting).lastValue == 0)
        #expect(try metrics.expectMeter(EventMetricsSink.Label.running, others).lastValue == 0)
        #expect(try metrics.expectTimer(EventMetricsSink.Label.duration, others).values.count == 3)
        #expect(try metrics.expectCounter(EventMetricsSink.Label.faults, others + [("kind", "error")]).totalValue == 1)
        #expect(try metrics.expectCounter(EventMetricsSink.Label.faults, others + [("kind", "timeout")]).totalValue == 0)
        #expect(try metrics.expectCounter(EventMetricsSink.Label.faults, waiting + [("kind", "error")]).totalValue == 0)
        // No site overflowed, so the overflow site has no metrics at all.
        #expect(!metrics.counters.contains { $0.dimensions.contains { $0 == ("site", EventMetricsSink.overflowSite) } })
    }

    @Test func sitesPastTheBoundShareTheOverflowSite() {
        let metrics = TestMetrics()
        let sink = EventMetricsSink(factory: metrics, maxSites: 2)
        for task in 1...5 {
            sink.emit(Event(.taskSpawned(TaskSpawned(task: TaskID(UInt64(task)), group: GroupID(1), name: "child",
                                                     site: SourceSite(file: "Jobs.swift", line: UInt32(task))))))
        }
        let spawned = metrics.counters(label: EventMetricsSink.Label.spawned)
        let bySite = Dictionary(spawned.map { ($0.dimensions.first { $0.0 == "site" }!.1, $0.totalValue) }, uniquingKeysWith: +)
        #expect(bySite == ["Jobs.swift:1": 1, "Jobs.swift:2": 1, EventMetricsSink.overflowSite: 3])
    }

    @Test func aChildThatEndsWithoutStartingLeavesTheRunningMeterAlone() throws {
        let metrics = TestMetrics()
        let sink = EventMetricsSink(factory: metrics)
        let site = SourceSite(file: "Jobs.swift", line: 9)
        sink.emit(Event(.taskSpawned(TaskSpawned(task: TaskID(1), group: GroupID(1), name: "child", site: site))))
        sink.emit(Event(.taskEnded(TaskEnded(task: TaskID(1), group: GroupID(1), status: .cancelled, durationNanoseconds: 0))))
        #expect(metrics.meters(label: EventMetricsSink.Label.running).allSatisfy { $0.values.isEmpty })
        #expect(try metrics.expectTimer(EventMetricsSink.Label.duration, [("site", "Jobs.swift:9")]).values == [0])
    }
}

@Suite struct MonitorMetricsTests {
    @Test func theMonitorsDropsAreCountedOnce() throws {
        let metrics = TestMetrics()
        let directory = NSTemporaryDirectory() + "sgmet-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let monitor = try SafeGroupMonitor.start(service: "metrics-test", socketPath: directory + "/m.sock", installAsDefault: false)
        let drops = MonitorMetrics(monitor, factory: metrics)
        monitor.shutdown()
        for _ in 0..<3 { monitor.emit(Event(.heartbeat(Heartbeat()))) }  // dropped: the monitor is shut down
        drops.update()
        drops.update()
        let counter = try metrics.expectCounter(MonitorMetrics.droppedLabel, [("service", "metrics-test")])
        #expect(counter.totalValue == 3)
    }
}

/// Runs the built Prometheus example, so it never rots.
@Suite struct PrometheusExampleTests {
    @Test func theExamplePrintsTheMetricsInPrometheusTextFormat() throws {
        let binary = productsDirectory.appendingPathComponent("safegroup-prometheus-example")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build")
        let directory = ScratchDirectory(prefix: "sgprom")
        let process = try ChildProcess(binary.path, [], in: directory)
        process.waitUntilExit()
        let text = process.outputSoFar
        #expect(process.exitStatus == 0)
        #expect(text.hasPrefix("prices: 4 children, 2 faults\n"), "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE safegroup_children_spawned_total counter"), "\(text)")
        #expect(lines.contains(#"safegroup_children_spawned_total{site="safegroup_prometheus_example/main.swift:21"} 3"#), "\(text)")
        #expect(lines.contains(#"safegroup_children_spawned_total{site="safegroup_prometheus_example/main.swift:26"} 1"#), "\(text)")
        #expect(lines.contains(#"safegroup_faults_total{site="safegroup_prometheus_example/main.swift:21",kind="error"} 1"#), "\(text)")
        #expect(lines.contains(#"safegroup_faults_total{site="safegroup_prometheus_example/main.swift:26",kind="timeout"} 1"#), "\(text)")
        #expect(lines.contains(#"safegroup_children_running{site="safegroup_prometheus_example/main.swift:21"} 0.0"#), "\(text)")
        #expect(lines.contains { $0.hasPrefix(#"safegroup_child_duration_seconds_count{site="safegroup_prometheus_example/main.swift:21"} 3"#) }, "\(text)")
    }
}
