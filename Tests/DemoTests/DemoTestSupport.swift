import DemoWorkloads
import GroupEvents
import GroupEventsTesting
import SafeGroup
import Testing
import TestSupport

/// Runs one scheduled run through the workloads' public API.
func perform(_ run: DemoSchedule.Run, in context: WorkloadContext) async {
    switch run {
    case .checkout(let scenario): _ = await CheckoutHandler().handle(scenario, context: context)
    case .nightlySync(let scenario): _ = await NightlySync().run(scenario, context: context)
    case .flakyFanOut(let scenario): _ = await FlakyFanOut().run(scenario, context: context)
    }
}

/// The first scenario, over orderIDs/seeds 0, 1, 2…, that `accept` takes.
func firstScenario<S>(_ make: (Int, inout SeededGenerator) -> S, where accept: (S) -> Bool) -> S {
    for seed in 0..<10_000 {
        var random = SeededGenerator(seed: UInt64(seed))
        let scenario = make(seed, &random)
        if accept(scenario) { return scenario }
    }
    fatalError("no scenario among 10,000 seeds has the property the test needs")
}

/// Records one fault with a stack, so that the process's first symbolication (which loads the
/// debug information of the whole test binary and can take a second) is behind us: it blocks
/// a thread of the cooperative pool, and a test whose children have timeouts would feel it.
func warmUpStackSymbolication() async {
    struct WarmUp: Error {}
    _ = await withSafeGroup(name: "warm-up", sink: InMemoryEventSink()) { group in
        await group.spawn("warm-up") { throw TracedError(WarmUp()) }
        await group.spawn("warm-up") { throw WarmUp() }
    }
}

/// Every suite of this target, run one test at a time.
///
/// The workloads' children have timeouts of a few hundred milliseconds; on a two-core
/// machine, a burst of 1,000 children or a running demo-service beside them can delay a
/// child's wake-up past its timeout, and then timing instead of the seed decides its fault.
@Suite(.serialized) enum DemoTests {}
