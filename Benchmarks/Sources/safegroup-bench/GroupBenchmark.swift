import GroupEvents
import GroupEventsTesting
import SafeGroup

/// 100,000 trivial children: a bare `withThrowingTaskGroup`, SafeGroup with no sink, and
/// SafeGroup with the in-memory sink, measured side by side in one run.
enum GroupBenchmark {
    static let children = 100_000
    static let rounds = 15

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
        print("== group: \(children) trivial children, best of \(rounds) interleaved rounds (the runtime's scheduling on 2 cores is bimodal; the best round of each is its cost without interference)")
        var discardingBareTimes: [Duration] = []
        var bareTimes: [Duration] = [], noSinkTimes: [Duration] = [], discardTimes: [Duration] = [], sinkTimes: [Duration] = []
        _ = await bare(); _ = await safeGroup(sink: nil)  // warm up
        for _ in 0..<rounds {
            bareTimes.append(await bare())
            discardingBareTimes.append(await bareDiscarding())
            noSinkTimes.append(await safeGroup(sink: nil))
            discardTimes.append(await safeGroup(sink: DiscardingSink()))
            let sink = InMemoryEventSink()
            sinkTimes.append(await safeGroup(sink: sink))
            precondition(sink.count == 3 * children + 2)
        }
        let bare = best(bareTimes), noSink = best(noSinkTimes), withSink = best(sinkTimes)
        let discarding = best(discardTimes)
        let bareDiscarding = best(discardingBareTimes)
        func perChild(_ d: Duration) -> String { format(nanoseconds(d) / Double(children), digits: 0) + " ns/child" }
        print("  bare withThrowingTaskGroup      \(perChild(bare))")
        print("  bare withThrowingDiscardingTaskGroup \(perChild(bareDiscarding))   ratio \(format(ratio(bareDiscarding, bare)))x  (what fail-fast and limited SafeGroups are built on)")
        print("  SafeGroup, no sink              \(perChild(noSink))   ratio \(format(ratio(noSink, bare)))x  (target <= 1.10x) \(verdict(ratio(noSink, bare) <= 1.10))")
        print("  SafeGroup, events built, dropped \(perChild(discarding))   ratio \(format(ratio(discarding, bare)))x  (no target: the events' cost alone)")
        print("  against the discarding group: no sink \(format(ratio(noSink, bareDiscarding)))x, in-memory sink \(format(ratio(withSink, bareDiscarding)))x")
        print("  SafeGroup, in-memory sink       \(perChild(withSink))   ratio \(format(ratio(withSink, bare)))x  (target <= 1.25x) \(verdict(ratio(withSink, bare) <= 1.25))")
        // Best-of compares each variant's luckiest round; the rounds' own ratios show the spread.
        func spread(_ times: [Duration]) -> String {
            let ratios = zip(times, bareTimes).map { ratio($0, $1) }.sorted()
            return "median \(format(ratios[ratios.count / 2]))x, quartiles \(format(ratios[ratios.count / 4]))-\(format(ratios[3 * ratios.count / 4]))x"
        }
        print("  per round, against that round's bare group: discarding \(spread(discardingBareTimes)); no sink \(spread(noSinkTimes)); in-memory sink \(spread(sinkTimes))")
        print("  bare group's own rounds: best \(perChild(bare)), median \(perChild(bareTimes.sorted()[bareTimes.count / 2]))")
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
