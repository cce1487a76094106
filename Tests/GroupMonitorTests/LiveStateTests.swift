import GroupEvents
@testable import GroupMonitor
import Testing
import TestSupport

/// The monitor's live state: what a late viewer's snapshot holds, checked against a plain
/// dictionary of the same events, through ring laps, growth, long-lived tasks and the limit.
@Suite("Live state kept for late viewers")
struct LiveStateTests {
    static let group = GroupID(1)
    static let site = SourceSite(fileID: "App/Main.swift", line: 7)

    static func spawned(_ id: UInt64) -> Event {
        Event(time: MonotonicTime(nanoseconds: id), .taskSpawned(TaskSpawned(task: TaskID(id), group: group, name: "t\(id)", site: site)))
    }
    static func started(_ id: UInt64) -> Event {
        Event(time: MonotonicTime(nanoseconds: id), .taskStarted(TaskStarted(task: TaskID(id), group: group)))
    }
    static func ended(_ id: UInt64) -> Event {
        Event(.taskEnded(TaskEnded(task: TaskID(id), group: group, status: .ok, durationNanoseconds: 1)))
    }

    /// Applies events to the live state and to a reference model, and compares snapshots.
    struct Checked {
        var live = LiveState()
        var model: [TaskID: (spawned: LiveState.Entry?, started: LiveState.Entry?)] = [:]
        var seq: UInt64 = 0

        mutating func apply(_ event: Event) {
            seq += 1
            live.apply(event, seq: seq)
            switch event.kind {
            case .taskSpawned(let e): model[e.task, default: (nil, nil)].spawned = (seq, event)
            case .taskStarted(let e): model[e.task, default: (nil, nil)].started = (seq, event)
            case .taskEnded(let e): model[e.task] = nil
            default: break
            }
        }

        func expectSame(_ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
            let expected = model.values.flatMap { [$0.spawned, $0.started].compactMap { $0 } }.sorted { $0.seq < $1.seq }
            let got = live.snapshot()
            #expect(got.map(\.seq) == expected.map(\.seq), comment, sourceLocation: sourceLocation)
            #expect(got.map(\.event) == expected.map(\.event), comment, sourceLocation: sourceLocation)
            #expect(live.counts.tasks == model.count, comment, sourceLocation: sourceLocation)
        }
    }

    @Test func aBurstLargerThanTheRingKeepsEveryLiveTask() {
        var state = Checked()
        let n = UInt64(LiveTasks.initialCapacity * 5)
        for id in 1...n { state.apply(Self.spawned(id)) }
        for id in 1...n where id % 2 == 0 { state.apply(Self.started(id)) }
        state.expectSame("all spawned, half started")
        for id in 1...n where id % 3 != 0 { state.apply(Self.ended(id)) }
        state.expectSame("a third still live")
        for id in 1...n { state.apply(Self.ended(id)) }
        state.expectSame("none live")
        #expect(state.live.snapshot().isEmpty)
    }

    @Test func aLongLivedTaskSurvivesLapsOfTheRing() {
        var state = Checked()
        // Task 1 lives on while tens of thousands of short tasks come and go one at a time: the
        // ring never fills, so every lap a newer id claims task 1's slot.
        state.apply(Self.spawned(1))
        state.apply(Self.started(1))
        for id in UInt64(2)...UInt64(LiveTasks.initialCapacity * 40) {
            state.apply(Self.spawned(id))
            state.apply(Self.started(id))
            state.apply(Self.ended(id))
        }
        state.expectSame()
        #expect(state.live.snapshot().map(\.seq) == [1, 2], "task 1's spawned and started, nothing else")
        state.apply(Self.ended(1))
        state.expectSame()
    }

    @Test func idsAtTheEdgesOfTheRangeAreTracked() {
        var state = Checked()
        for id in [0, 1, UInt64.max, UInt64.max - 1, UInt64(LiveTasks.initialCapacity) - 1, UInt64(LiveTasks.initialCapacity)] {
            state.apply(Self.spawned(id))
            state.apply(Self.started(id))
        }
        state.expectSame()
        state.apply(Self.ended(UInt64.max))
        state.apply(Self.ended(0))
        state.expectSame()
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomLivesMatchAPlainDictionary(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var state = Checked()
        var next: UInt64 = 1
        var live: [UInt64] = []
        for step in 0..<30_000 {
            switch random.below(10) {
            case 0...4:
                // Mostly sequential ids, sometimes a jump far ahead (another process's ids, a
                // hostile stream).
                let id = random.below(50) == 0 ? random.next() : next
                next += 1
                state.apply(Self.spawned(id))
                if random.below(2) == 0 { state.apply(Self.started(id)) }
                live.append(id)
            case 5...8 where !live.isEmpty:
                // Ends favour the oldest (a queue), sometimes any.
                let at = random.below(4) == 0 ? random.below(live.count) : 0
                state.apply(Self.ended(live.remove(at: at)))
            default:
                // An event for a task never spawned (its spawn was dropped), or ended twice.
                let id = random.next() % (next + 10)
                state.apply(random.below(2) == 0 ? Self.started(id) : Self.ended(id))
                live.removeAll { $0 == id }
                if state.model[TaskID(id)] != nil { live.append(id) }
            }
            if step % 5_000 == 4_999 { state.expectSame("seed \(seed), step \(step)") }
        }
        state.expectSame("seed \(seed), end")
    }

    @Test func tasksBeyondTheLimitAreCountedNotKept() {
        var tasks = LiveTasks()
        var kept = 0
        for id in UInt64(1)...3_000 where tasks.record(TaskID(id), started: false, seq: id, event: Self.spawned(id), limit: 2_000) {
            kept += 1
        }
        #expect(kept == 2_000)
        #expect(tasks.count == 2_000)
        // A task already kept is still updated at the limit.
        let updated = tasks.record(TaskID(5), started: true, seq: 9_999, event: Self.started(5), limit: 2_000)
        #expect(updated)
        tasks.remove(TaskID(1))
        let keptAfterAnEnd = tasks.record(TaskID(2_500), started: false, seq: 10_000, event: Self.spawned(2_500), limit: 2_000)
        #expect(keptAfterAnEnd, "an ended task frees a place")
        #expect(tasks.count == 2_000)
    }
}
