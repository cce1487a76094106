import GroupEvents
import GroupMonitor
import SafeGroup

/// What the crash handler's child tracking costs: 100,000 trivial children in a group whose
/// events are built and dropped, with the tracking hooks called (registering each child's task
/// in the handler's table) and paused, in interleaved rounds.
enum CrashTrackingBenchmark {
    static func run() async {
        let children = GroupBenchmark.children, rounds = GroupBenchmark.rounds
        print("== crash: \(children) trivial children with events on, child tracking of the crash handler on and off, \(rounds) interleaved rounds")
        do { try CrashHandler.install() } catch {
            print("  cannot install the crash handler: \(error)")
            return
        }
        let sink = GroupBenchmark.DiscardingSink()
        _ = await GroupBenchmark.safeGroup(sink: sink)  // warm up
        var off: [Duration] = [], on: [Duration] = []
        for round in 0..<rounds {
            // Alternate which goes first, as the group benchmark rotates its variants.
            for tracking in round % 2 == 0 ? [false, true] : [true, false] {
                if tracking {
                    CrashHandler.resumeTracking()
                    on.append(await GroupBenchmark.safeGroup(sink: sink))
                } else {
                    ChildTracking.pause()
                    off.append(await GroupBenchmark.safeGroup(sink: sink))
                }
            }
        }
        func perChild(_ d: Duration) -> String { format(nanoseconds(d) / Double(children), digits: 0) + " ns/child" }
        print("  events built, dropped, tracking off  \(perChild(best(off)))")
        let ratios = zip(on, off).map { ratio($0, $1) }.sorted()
        print("  events built, dropped, tracking on   \(perChild(best(on)))   per round median \(format(ratios[ratios.count / 2]))x, best-of \(format(ratio(best(on), best(off))))x  (no target: the table's cost per child)")
    }
}
