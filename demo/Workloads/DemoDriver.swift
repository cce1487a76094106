import GroupEvents
import GroupIsolation
import Synchronization

/// Runs the demo's workloads continuously, at a given rate of children per second.
///
/// Checkouts, recommendations fan-outs and nightly syncs (``DemoSchedule``) start one after
/// the other, paced so that their children add up to ``Configuration/childrenPerSecond``, and
/// run side by side, at most ``Configuration/maximumConcurrentRuns`` at a time. Every
/// decision comes from the seed; ``control`` injects faults, bursts and cancellations.
///
/// ```swift
/// let driver = DemoDriver(.init(seed: 7, childrenPerSecond: 100))
/// await driver.run(for: .seconds(10))
/// ```
public final class DemoDriver: Sendable {
    /// How the driver runs.
    public struct Configuration: Sendable {
        /// The seed of every choice; nil for a random one (see ``DemoDriver/seed``).
        public var seed: UInt64?
        /// How many children to start per second, on average (positive).
        public var childrenPerSecond: Double
        /// At most this many runs in flight; the driver waits for one to end beyond it.
        public var maximumConcurrentRuns: Int
        /// The sink of the runs' top-level groups; nil for `EventSystem`'s default.
        public var sink: (any EventSink)?
        /// Worker processes for isolated children: with them, an invoice import (whose parser
        /// runs isolated; every third import has a malformed invoice that traps it) runs beside
        /// every ``importEvery`` scheduled runs.
        /// The scheduled runs are the same with or without.
        public var workers: WorkerPool?
        /// How many scheduled runs go between two invoice imports (when there are ``workers``).
        public var importEvery: Int

        public init(seed: UInt64? = nil, childrenPerSecond: Double = 100, maximumConcurrentRuns: Int = 32,
                    sink: (any EventSink)? = nil, workers: WorkerPool? = nil, importEvery: Int = 8) {
            self.seed = seed
            self.childrenPerSecond = childrenPerSecond
            self.maximumConcurrentRuns = maximumConcurrentRuns
            self.sink = sink
            self.workers = workers
            self.importEvery = importEvery
        }
    }

    public let configuration: Configuration
    /// The seed in use: the configured one, or the one drawn when none was given.
    public let seed: UInt64
    /// Injections, bursts and cancellations for the runs of this driver.
    public let control: DemoControl

    public init(_ configuration: Configuration = Configuration()) {
        precondition(configuration.childrenPerSecond > 0 && configuration.childrenPerSecond.isFinite,
                     "DemoDriver: childrenPerSecond must be positive, not \(configuration.childrenPerSecond)")
        precondition(configuration.maximumConcurrentRuns >= 1,
                     "DemoDriver: maximumConcurrentRuns must be at least 1, not \(configuration.maximumConcurrentRuns)")
        self.configuration = configuration
        var system = SystemRandomNumberGenerator()
        seed = configuration.seed ?? system.next()
        // The control's choices get a seed of their own, derived from the schedule's.
        var derived = SeededGenerator(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        control = DemoControl(seed: derived.next(), sink: configuration.sink, workers: configuration.workers)
        precondition(configuration.importEvery >= 1, "DemoDriver: importEvery must be at least 1, not \(configuration.importEvery)")
    }

    /// Set by ``stopStarting()``.
    private let stopped = Atomic<Bool>(false)

    /// Makes ``run(for:)`` start no more runs and return once those in flight have ended, as at
    /// the end of its duration: a service's graceful shutdown.
    public func stopStarting() {
        stopped.store(true, ordering: .relaxed)
    }

    /// Starts runs until `duration` has passed (forever when nil), ``stopStarting()`` is called
    /// or the calling task is cancelled, then returns once every run has ended. On cancellation
    /// the runs in flight are cancelled; at the end of `duration` they finish normally.
    public func run(for duration: Duration? = nil) async {
        var schedule = DemoSchedule(seed: seed)
        var scheduled = 0
        let clock = ContinuousClock()
        let deadline = duration.map { clock.now + $0 }
        let runs = control.runs
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                if let deadline, clock.now >= deadline { break }
                await runs.waitUntilFewer(than: configuration.maximumConcurrentRuns)
                if Task.isCancelled || stopped.load(ordering: .relaxed) { break }
                let run = schedule.next()
                control.start(run)
                scheduled += 1
                if let workers = configuration.workers, scheduled % configuration.importEvery == 0 {
                    // Every third import has a malformed invoice that traps its parser, the kinds
                    // taking turns; the imports draw nothing, so the schedule is the same without them.
                    let number = scheduled / configuration.importEvery
                    let kinds = MalformedInvoice.allCases
                    let malformed = number % 3 == 0 ? kinds[(number / 3 - 1) % kinds.count] : nil
                    control.startImport(.make(importID: number, malformed: malformed), on: workers)
                }
                var pause = Duration.seconds(Double(run.childCount) / configuration.childrenPerSecond)
                if let deadline { pause = min(pause, deadline - clock.now) }
                if pause > .zero {
                    do { try await Task.sleep(for: pause) } catch { break }
                }
            }
        } onCancel: {
            runs.cancelAll()
        }
        // A run may have started just as the cancellation arrived.
        if Task.isCancelled { runs.cancelAll() }
        await runs.waitUntilFewer(than: 1)
    }
}
