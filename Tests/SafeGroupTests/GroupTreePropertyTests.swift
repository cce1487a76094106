import GroupEvents
import GroupEventsTesting
import PropertyBased
import SafeGroup
import Synchronization
import Testing

/// A random tree of children, decoded from a list of random numbers so that the property
/// library can generate and shrink it as a plain array.
indirect enum ChildPlan: Sendable, CustomStringConvertible {
    case sleep(milliseconds: Int)
    case fail(code: Int)
    case ignoreCancellation(milliseconds: Int)
    case nested([ChildPlan])

    /// Reads one group's children from `codes`, nesting at most `depth` levels.
    static func children(from codes: inout ArraySlice<Int>, depth: Int) -> [ChildPlan] {
        var children: [ChildPlan] = []
        while let code = codes.popFirst() {
            let argument = code / 5
            switch code % 5 {
            case 0: children.append(.sleep(milliseconds: argument % 4))
            case 1: children.append(.fail(code: code))
            case 2: children.append(.ignoreCancellation(milliseconds: argument % 4))
            case 3 where depth > 0:
                let size = min(argument % 5, codes.count)
                var inner = codes.prefix(size)
                codes = codes.dropFirst(size)
                children.append(.nested(Self.children(from: &inner, depth: depth - 1)))
            case 4 where argument % 3 == 0: return children  // ends this group
            default: children.append(.sleep(milliseconds: 0))
            }
        }
        return children
    }

    var description: String {
        switch self {
        case .sleep(let ms): "sleep(\(ms))"
        case .fail(let code): "fail(\(code))"
        case .ignoreCancellation(let ms): "deaf(\(ms))"
        case .nested(let children): "group\(children)"
        }
    }
}

/// What the children of one run did, seen from inside.
final class TreeProbe: Sendable {
    private let state = Mutex((alive: 0, throwing: Set<TaskID>()))
    func enter() { state.withLock { $0.alive += 1 } }
    func leave() { state.withLock { $0.alive -= 1 } }
    func threw(_ id: TaskID) { state.withLock { _ = $0.throwing.insert(id) } }
    var alive: Int { state.withLock { $0.alive } }
    var throwing: Set<TaskID> { state.withLock { $0.throwing } }
}

func run(_ plan: [ChildPlan], name: String, probe: TreeProbe, sink: (any EventSink)? = nil) async {
    _ = await withSafeGroup(name: name, policy: .collectAll, sink: sink) { group in
        for (index, child) in plan.enumerated() {
            await group.spawn("\(name).\(index)") {
                probe.enter()
                defer { probe.leave() }
                switch child {
                case .sleep(let ms): try await Task.sleep(for: .milliseconds(ms))
                case .ignoreCancellation(let ms): await sleepIgnoringCancellation(.milliseconds(ms))
                case .fail(let code):
                    probe.threw(SafeGroupTask.current!)
                    throw TestError(code: code)
                case .nested(let children): await run(children, name: "\(name).\(index)", probe: probe)
                }
            }
        }
    }
}

@Suite struct GroupTreePropertyTests {
    @Test func randomTreesKeepEveryFailureAndNoChildOutlivesItsGroup() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...99).array(of: 0...40)) { codes in
            var slice = codes[...]
            let plan = ChildPlan.children(from: &slice, depth: 3)
            let sink = InMemoryEventSink()
            let probe = TreeProbe()
            await run(plan, name: "root", probe: probe, sink: sink)

            // No child runs after the scope returned.
            #expect(probe.alive == 0, "children still running after the scope returned: \(plan)")

            // Every spawned child has exactly one end event.
            let spawned = sink.spawned.map(\.task)
            let ended = sink.ended.map(\.task)
            #expect(Set(spawned).count == spawned.count)
            #expect(ended.sorted() == spawned.sorted(), "plan: \(plan)")

            // Under the collect policy the faults are exactly the throwing children.
            let faulted = sink.faults.map(\.task)
            #expect(Set(faulted).count == faulted.count)
            #expect(Set(faulted) == probe.throwing, "plan: \(plan)")
            #expect(sink.faults.allSatisfy { $0.kind == .error })

            // Every group closed, and nested groups name their parent task.
            #expect(sink.closed.count == sink.opened.count)
            let spawnedIDs = Set(spawned)
            for opened in sink.opened where opened.name != "root" {
                #expect(opened.parentTask.map(spawnedIDs.contains) == true)
            }
        }
    }

    @Test func theLimitIsNeverExceededForRandomLimitsAndLoads() async {
        await propertyCheck(count: 30, input: Gen.int(in: 1...6), Gen.int(in: 0...40)) { limit, children in
            let gauge = ConcurrencyGauge()
            let report = await withSafeGroup(name: "limited", limit: limit) { group in
                for n in 0..<children {
                    await group.spawn {
                        gauge.enter()
                        defer { gauge.leave() }
                        if n % 3 == 0 { try await Task.sleep(for: .milliseconds(1)) } else { await Task.yield() }
                    }
                }
            }
            #expect(gauge.most <= limit, "limit \(limit) exceeded: \(gauge.most) ran at once")
            #expect(report.childCount == children)
        }
    }
}
