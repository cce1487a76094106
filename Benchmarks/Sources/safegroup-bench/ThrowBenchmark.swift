import GroupEvents
import SafeGroup
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What recording throw sites costs: 100,000 throws (each caught) outside any group and inside
/// one child, with the runtime's throw hook absent, installed but off, and on; and a group whose
/// every child fails, with throw stacks on and off. Interleaved rounds, each a ratio to its own
/// round's baseline.
enum ThrowBenchmark {
    static let throwsPerRound = 100_000
    static let failingChildren = 10_000
    static let rounds = 11

    struct Failure: Error { let code: Int }

    @inline(never) static func fail(_ code: Int) throws { throw Failure(code: code) }

    /// Throws and catches `throwsPerRound` errors on this task.
    @inline(never) static func throwLoop() -> Int {
        var caught = 0
        for code in 0..<throwsPerRound {
            do { try fail(code) } catch { caught += 1 }
        }
        return caught
    }

    static func outside() -> Duration {
        ContinuousClock().measure { precondition(throwLoop() == throwsPerRound) }
    }

    static func insideAChild() async -> Duration {
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        _ = await withSafeGroup(name: "throws") { group in
            await group.spawn("thrower") {}  // keeps the group's own cost out of the loop below
        }
        let report = await withSafeGroup(of: Duration.self, name: "throws") { group in
            await group.spawn("thrower") { clock.measure { precondition(throwLoop() == throwsPerRound) } }
        }
        elapsed = report.results.first!.value
        return elapsed
    }

    /// A group of `failingChildren` children that all throw from the same site: per fault, the
    /// capture, the box lookup and a symbolication the cache answers after the first.
    static func failingGroup() async -> Duration {
        await ContinuousClock().measure {
            let report = await withSafeGroup(name: "failing") { group in
                for code in 0..<failingChildren { await group.spawn("child") { try fail(code) } }
            }
            precondition(report.faults.count == failingChildren)
        }
    }

    /// The runtime's hook variable, to take the hook out for the baseline rounds and put it back.
    nonisolated(unsafe) static let slot: UnsafeMutablePointer<Atomic<UInt>>? = {
        #if canImport(Glibc)
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "_swift_willThrow")?.assumingMemoryBound(to: Atomic<UInt>.self)
        #else
        nil
        #endif
    }()

    @inline(never) static func failDeep(_ depth: Int, _ code: Int) throws {
        if depth == 0 { throw Failure(code: code) }
        try failDeep(depth - 1, code)
        blackHole(depth)
    }

    /// Faults whose stacks were never seen before (each at another depth of recursion): what
    /// symbolicating one costs, on the failing child's path.
    static func distinctStacks(from start: Int, count: Int) async -> Duration {
        await ContinuousClock().measure {
            let report = await withSafeGroup(name: "distinct") { group in
                for depth in start..<(start + count) { await group.spawn("child") { try failDeep(depth, depth) } }
            }
            precondition(report.faults.count == count)
        }
    }

    static func run() async {
        print("== throws: \(throwsPerRound) throws caught in a loop, and a group of \(failingChildren) failing children, \(rounds) interleaved rounds")
        _ = await withSafeGroup(of: Void.self, name: "install") { _ in }  // installs the hook
        guard let slot, ThrowSites.isActive else {
            print("  the throw hook is not installed (SAFEGROUP_THROW_STACKS=0?): nothing to compare")
            return
        }
        let hook = slot.pointee.load(ordering: .acquiring)
        func withoutHook<T>(_ body: () async -> T) async -> T {
            slot.pointee.store(0, ordering: .releasing)
            defer { slot.pointee.store(hook, ordering: .releasing) }
            return await body()
        }
        func stacksOff<T>(_ body: () async -> T) async -> T {
            ThrowSites.isEnabled = false
            defer { ThrowSites.isEnabled = true }
            return await body()
        }
        _ = outside(); _ = await insideAChild(); _ = await failingGroup()  // warm up, symbol tables included
        var times: [String: [Duration]] = [:]
        let variants: [(String, () async -> Duration)] = [
            ("outside, no hook", { await withoutHook { outside() } }),
            ("outside, hook on", { outside() }),
            ("child, no hook", { await withoutHook { await insideAChild() } }),
            ("child, stacks off", { await stacksOff { await insideAChild() } }),
            ("child, stacks on", { await insideAChild() }),
            ("failing, stacks off", { await stacksOff { await failingGroup() } }),
            ("failing, stacks on", { await failingGroup() }),
        ]
        for round in 0..<rounds {
            for offset in 0..<variants.count {
                let (name, run) = variants[(round + offset) % variants.count]
                times[name, default: []].append(await run())
            }
        }
        func perThrow(_ name: String, per count: Int) -> Double {
            let sorted = times[name]!.sorted()
            return nanoseconds(sorted[sorted.count / 2]) / Double(count)
        }
        func medianRatio(_ name: String, to base: String) -> Double {
            let ratios = zip(times[name]!, times[base]!).map { ratio($0, $1) }.sorted()
            return ratios[ratios.count / 2]
        }
        func row(_ label: String, _ name: String, base: String, per count: Int, unit: String, extra: String = "") {
            let cost = perThrow(name, per: count), baseCost = perThrow(base, per: count)
            print("  \(label.padding(toLength: 44, withPad: " ", startingAt: 0)) \(format(cost, digits: 0)) ns/\(unit)"
                  + "  (+\(format(max(0, cost - baseCost), digits: 0)) ns, per round median \(format(medianRatio(name, to: base)))x)\(extra)")
        }
        print("  throw outside any group, no hook           \(format(perThrow("outside, no hook", per: throwsPerRound), digits: 0)) ns/throw")
        row("throw outside any group, hook installed", "outside, hook on", base: "outside, no hook", per: throwsPerRound, unit: "throw",
            extra: "  budget <= +50 ns \(verdict(perThrow("outside, hook on", per: throwsPerRound) - perThrow("outside, no hook", per: throwsPerRound) <= 50))")
        print("  throw inside a child, no hook              \(format(perThrow("child, no hook", per: throwsPerRound), digits: 0)) ns/throw")
        row("throw inside a child, stacks off", "child, stacks off", base: "child, no hook", per: throwsPerRound, unit: "throw")
        row("throw inside a child, stacks on", "child, stacks on", base: "child, no hook", per: throwsPerRound, unit: "throw",
            extra: "  budget <= +15 µs \(verdict(perThrow("child, stacks on", per: throwsPerRound) - perThrow("child, no hook", per: throwsPerRound) <= 15_000))")
        print("  failing child, stacks off                  \(format(perThrow("failing, stacks off", per: failingChildren), digits: 0)) ns/child")
        // Not interleaved: a stack is new only once per process.
        let distinct = await distinctStacks(from: 100, count: 200)
        print("  failing child, a stack never seen before   \(format(nanoseconds(distinct) / 200 / 1000, digits: 0)) µs/child  (symbolicated with source lines, then cached)")
        row("failing child, stacks on (same site)", "failing, stacks on", base: "failing, stacks off", per: failingChildren, unit: "child")
    }
}

/// Keeps the optimizer from turning the recursion into a loop.
@inline(never) func blackHole(_ value: Int) { if value == -1 { print(value) } }
