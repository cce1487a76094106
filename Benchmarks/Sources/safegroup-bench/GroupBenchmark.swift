import Foundation
import GroupEvents
import GroupEventsTesting
import SafeGroup

/// 100,000 trivial children: a bare `withThrowingTaskGroup`, SafeGroup with no sink, and
/// SafeGroup with the in-memory sink, measured side by side in one run.
enum GroupBenchmark {
    static let children = 100_000
    static let rounds = 21

    static func bare() async -> Duration {
        let clock = ContinuousClock()
        return await clock.measure {
            try? await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<children { group.addTask {} }
                try await group.waitForAll()
            }
        }
    }

    /// The kind of group fail-fast and limited SafeGroups are built on: it keeps no finished children, so a
    /// long-lived group's memory stays bounded.
    static func bareDiscarding() async -> Duration {
        let clock = ContinuousClock()
        return await clock.measure {
            try? await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<children { group.addTask {} }
            }
        }
    }

    static func safeGroup(sink: (any EventSink)?) async -> Duration {
        let clock = ContinuousClock()
        return await clock.measure {
            let report = await withSafeGroup(name: "bench", sink: sink) { group in
                for _ in 0..<children { await group.spawn("child") {} }
            }
            precondition(report.childCount == children && report.faults.isEmpty)
        }
    }

    /// Builds every event and drops it: what the events cost apart from keeping them.
    struct DiscardingSink: EventSink {
        func emit(_ event: Event) {}
    }

    static func run() async {
        print("== group: \(children) trivial children, \(rounds) interleaved rounds, each round's variants in a rotated order")
        print("   The verdict is the median of each round's ratio to that round's bare group: the bare group's own rounds")
        print("   are bimodal here (it keeps all 100,000 finished children until the end), so best-of compares lucky rounds.")
        _ = await withSafeGroup(of: Void.self, name: "install") { _ in }  // installs the throw hook before any round
        let allVariants: [(name: String, run: () async -> Duration)] = [
            ("bare", { await bare() }),
            ("discarding", { await bareDiscarding() }),
            ("noSink", { await safeGroup(sink: nil) }),
            ("noSinkNoStacks", {
                // Children of a group with no sink bind their context only for the throw hook.
                ThrowSites.isEnabled = false
                defer { ThrowSites.isEnabled = true }
                return await safeGroup(sink: nil)
            }),
            ("dropped", { await safeGroup(sink: DiscardingSink()) }),
            ("multiplexed1", { await safeGroup(sink: MultiplexEventSink(DiscardingSink())) }),
            ("multiplexed3", { await safeGroup(sink: MultiplexEventSink(DiscardingSink(), DiscardingSink(), DiscardingSink())) }),
            ("inMemory", {
                let sink = InMemoryEventSink()
                let time = await safeGroup(sink: sink)
                precondition(sink.count == 3 * children + 2)
                return time
            }),
        ]
        // GBENCH_VARIANTS=noSink,dropped (say) runs those alone, for `perf stat` of one path; the rows need "bare".
        let chosen = ProcessInfo.processInfo.environment["GBENCH_VARIANTS"].map { Set($0.split(separator: ",").map(String.init)) }
        let variants = allVariants.filter { chosen?.contains($0.name) ?? true }
        if chosen != nil {
            for round in 0..<rounds { for variant in variants { _ = round; _ = await variant.run() } }
            return
        }
        _ = await bare(); _ = await safeGroup(sink: nil); _ = await safeGroup(sink: InMemoryEventSink())  // warm up
        var times: [String: [Duration]] = [:]
        for round in 0..<rounds {
            // Rotating the order keeps any variant from always running after the same one (the
            // previous variant's freed memory and the allocator's state carry over).
            for offset in 0..<variants.count {
                let variant = variants[(round + offset) % variants.count]
                times[variant.name, default: []].append(await variant.run())
            }
        }
        let bareTimes = times["bare"]!
        func perChild(_ d: Duration) -> String { format(nanoseconds(d) / Double(children), digits: 0) + " ns/child" }
        /// The median of the per-round ratios to the bare group, and their quartiles.
        func paired(_ name: String) -> (median: Double, text: String) {
            let ratios = zip(times[name]!, bareTimes).map { ratio($0, $1) }.sorted()
            let median = ratios[ratios.count / 2]
            return (median, "median \(format(median))x (quartiles \(format(ratios[ratios.count / 4]))-\(format(ratios[3 * ratios.count / 4]))x)")
        }
        func row(_ label: String, _ name: String, target: Double?, note: String = "") {
            let (median, text) = paired(name)
            let bestOf = format(ratio(best(times[name]!), best(bareTimes)))
            let verdictText = target.map { "  target <= \(format($0))x \(verdict(median <= $0))" } ?? ""
            print("  \(label.padding(toLength: 38, withPad: " ", startingAt: 0)) per round \(text), best-of \(bestOf)x, best \(perChild(best(times[name]!)))\(verdictText)\(note)")
        }
        print("  bare withThrowingTaskGroup            best \(perChild(best(bareTimes))), median \(perChild(bareTimes.sorted()[bareTimes.count / 2]))")
        row("bare withThrowingDiscardingTaskGroup", "discarding", target: nil, note: "  (what fail-fast and limited SafeGroups are built on)")
        row("SafeGroup, no sink", "noSink", target: 1.10)
        row("SafeGroup, no sink, throw stacks off", "noSinkNoStacks", target: nil, note: "  (SAFEGROUP_THROW_STACKS=0)")
        row("SafeGroup, events built and dropped", "dropped", target: nil, note: "  (the events' cost alone)")
        row("SafeGroup, InMemoryEventSink", "inMemory", target: 1.25)
        row("SafeGroup, multiplexer of 1 dropping", "multiplexed1", target: nil, note: "  (against 'events built and dropped': the multiplexer's cost)")
        row("SafeGroup, multiplexer of 3 dropping", "multiplexed3", target: nil)
        // The multiplexer's own cost, paired round by round with the sink it wraps.
        let muxRatios = zip(times["multiplexed1"]!, times["dropped"]!).map { ratio($0, $1) }.sorted()
        print("  multiplexer of 1 / the same sink alone   per round median \(format(muxRatios[muxRatios.count / 2]))x (quartiles \(format(muxRatios[muxRatios.count / 4]))-\(format(muxRatios[3 * muxRatios.count / 4]))x)")
    }
}

func best(_ values: [Duration]) -> Duration { values.min()! }
func nanoseconds(_ d: Duration) -> Double {
    let (s, a) = d.components
    return Double(s) * 1e9 + Double(a) / 1e9
}
func ratio(_ a: Duration, _ b: Duration) -> Double { nanoseconds(a) / nanoseconds(b) }
func verdict(_ ok: Bool) -> String { ok ? "PASS" : "MISS" }
func format(_ value: Double, digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return digits == 0 ? String(Int(rounded)) : String(rounded)
}
