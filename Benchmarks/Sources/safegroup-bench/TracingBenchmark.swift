import GroupEvents
import SafeGroup
import SafeGroupTracing
import Tracing

/// What spans cost: a 100,000-child fan-out with no sink, with a sink that drops every event
/// (the events' cost, and the instrument hook's branch not taken), and with the TracingSink over
/// a no-op tracer (the hook taken: a span started, bound as the child's context, kept in the
/// table and ended per child), side by side in one run, rounds interleaved and rotated.
enum TracingBenchmark {
    static let children = 100_000
    static let rounds = 21

    static func fanOut(sink: (any EventSink)?) async -> Duration {
        let clock = ContinuousClock()
        return await clock.measure {
            let report = await withSafeGroup(name: "fan-out", sink: sink) { group in
                for _ in 0..<children { await group.spawn("child") {} }
            }
            precondition(report.childCount == children && report.faults.isEmpty)
        }
    }

    struct DroppingSink: EventSink {
        func emit(_ event: Event) {}
    }

    /// A dropping sink whose instrument only runs the body: the hook's own cost when taken.
    final class PassThroughSink: InstrumentedEventSink, GroupInstrument {
        var instrument: (any GroupInstrument)? { self }
        func emit(_ event: Event) {}
        func withGroup<Result>(_ group: InstrumentedGroup, isolation: isolated (any Actor)?, _ body: () async -> Result) async -> Result {
            await body()
        }
        func withChild<Result>(_ child: InstrumentedChild, _ body: () async -> Result) async -> Result { await body() }
        func propagationCarrier() -> [String: String] { [:] }
        func withPropagatedCarrier<Result>(_ carrier: [String: String], job: String, _ body: () async throws -> Result) async throws -> Result {
            try await body()
        }
    }

    static func run() async {
        print("== tracing: a \(children)-child fan-out, \(rounds) interleaved rounds, each round's variants in a rotated order")
        _ = await withSafeGroup(of: Void.self, name: "install") { _ in }  // installs the throw hook before any round
        let tracing = TracingSink(tracer: NoOpTracer())
        let variants: [(name: String, run: () async -> Duration)] = [
            ("none", { await fanOut(sink: nil) }),
            ("dropped", { await fanOut(sink: DroppingSink()) }),
            ("passThrough", { await fanOut(sink: PassThroughSink()) }),
            ("tracingNoOp", { await fanOut(sink: tracing) }),
            ("monitorLike+tracing", { await fanOut(sink: MultiplexEventSink(DroppingSink(), tracing)) }),
        ]
        for variant in variants { _ = await variant.run() }  // warm up
        var times: [String: [Duration]] = [:]
        for round in 0..<rounds {
            for offset in 0..<variants.count {
                let variant = variants[(round + offset) % variants.count]
                times[variant.name, default: []].append(await variant.run())
            }
        }
        func perChild(_ d: Duration) -> String { format(nanoseconds(d) / Double(children), digits: 0) + " ns/child" }
        func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
        /// The median of the per-round ratios of `name` to `base`, with quartiles.
        func paired(_ name: String, _ base: String) -> String {
            let ratios = zip(times[name]!, times[base]!).map { ratio($0, $1) }.sorted()
            return "median \(format(ratios[ratios.count / 2]))x (quartiles \(format(ratios[ratios.count / 4]))-\(format(ratios[3 * ratios.count / 4]))x)"
        }
        for name in ["none", "dropped", "passThrough", "tracingNoOp", "monitorLike+tracing"] {
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) median \(perChild(median(times[name]!))), best \(perChild(best(times[name]!)))")
        }
        print("  tracing sink, no-op tracer / no sink          per round \(paired("tracingNoOp", "none"))")
        print("  tracing sink, no-op tracer / dropping sink    per round \(paired("tracingNoOp", "dropped"))  (the spans' own cost)")
        print("  dropping sink / no sink                       per round \(paired("dropped", "none"))  (events, hook not taken)")
        print("  pass-through instrument / dropping sink       per round \(paired("passThrough", "dropped"))  (the hook taken, doing nothing)")
        print("  dropping + tracing multiplexed / dropping     per round \(paired("monitorLike+tracing", "dropped"))")
    }
}
