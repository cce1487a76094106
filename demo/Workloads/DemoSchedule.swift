/// The sequence of workload runs a ``DemoDriver`` makes, fixed by a seed.
///
/// About 60% checkouts, 30% recommendations fan-outs and 10% nightly syncs, each with its
/// scenario drawn in turn from one generator: the same seed gives the same runs in the same
/// order, whatever the timing of the runs themselves.
public struct DemoSchedule: Sendable {
    /// One run of a workload.
    public enum Run: Hashable, Sendable {
        case checkout(CheckoutScenario)
        case nightlySync(NightlySyncScenario)
        case flakyFanOut(FlakyFanOutScenario)

        /// How many children the run spawns.
        public var childCount: Int {
            switch self {
            case .checkout(let scenario): scenario.childCount
            case .nightlySync(let scenario): scenario.childCount
            case .flakyFanOut(let scenario): scenario.childCount
            }
        }

        /// The run's name, which is also the name of its top-level group.
        public var name: String {
            switch self {
            case .checkout(let scenario): "checkout #\(scenario.orderID)"
            case .nightlySync(let scenario): "nightly-sync #\(scenario.runID)"
            case .flakyFanOut(let scenario): "recommendations #\(scenario.requestID)"
            }
        }

        /// Runs the workload in `context`; returns when all of its children have ended.
        func perform(in context: WorkloadContext) async {
            switch self {
            case .checkout(let scenario): _ = await CheckoutHandler().handle(scenario, context: context)
            case .nightlySync(let scenario): _ = await NightlySync().run(scenario, context: context)
            case .flakyFanOut(let scenario): _ = await FlakyFanOut().run(scenario, context: context)
            }
        }
    }

    private var random: SeededGenerator
    private var nextID = 1

    public init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    /// The next run.
    public mutating func next() -> Run {
        let id = nextID
        nextID += 1
        switch Double.random(in: 0..<1, using: &random) {
        case ..<0.6: return .checkout(.random(orderID: id, using: &random))
        case ..<0.9: return .flakyFanOut(.random(requestID: id, using: &random))
        default: return .nightlySync(.random(runID: id, using: &random))
        }
    }
}
