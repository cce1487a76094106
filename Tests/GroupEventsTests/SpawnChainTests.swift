import GroupEvents
import Testing

@Suite struct SpawnChainTests {
    func opened(_ group: UInt64, in parent: UInt64?, line: UInt32) -> Event {
        Event(.groupOpened(GroupOpened(group: GroupID(group), name: "g\(group)", parentTask: parent.map { TaskID($0) },
                                       site: SourceSite(file: "F.swift", line: line), policy: .collectAll)))
    }

    func spawned(_ task: UInt64, in group: UInt64, line: UInt32) -> Event {
        Event(.taskSpawned(TaskSpawned(task: TaskID(task), group: GroupID(group), name: "t\(task)", site: SourceSite(file: "F.swift", line: line))))
    }

    @Test func theChainGoesFromTheTaskUpToTheRootGroup() {
        var tree = SpawnTree()
        for event in [opened(1, in: nil, line: 1), spawned(10, in: 1, line: 2), opened(2, in: 10, line: 3), spawned(20, in: 2, line: 4)] {
            tree.learn(event)
        }
        #expect(tree.chain(task: TaskID(20), group: GroupID(2)) == [.task(TaskID(20)), .group(GroupID(2)), .task(TaskID(10)), .group(GroupID(1))])
    }

    @Test func anEndedParentOrAClosedGroupIsForgottenAndTheChainSaysWhereItStops() {
        var tree = SpawnTree()
        for event in [opened(1, in: nil, line: 1), spawned(10, in: 1, line: 2), opened(2, in: 10, line: 3)] { tree.learn(event) }
        tree.forget(Event(.taskEnded(TaskEnded(task: TaskID(10), group: GroupID(1), status: .ok, durationNanoseconds: 1))))
        #expect(tree.chain(task: TaskID(20), group: GroupID(2)) == [.task(TaskID(20)), .group(GroupID(2)), .unseenTask(TaskID(10))])
        tree.forget(Event(.groupClosed(GroupClosed(group: GroupID(2), outcome: .ok, faultCount: 0, childCount: 0))))
        #expect(tree.chain(task: TaskID(20), group: GroupID(2)) == [.task(TaskID(20)), .unseenGroup(GroupID(2))])
    }

    @Test func aCycleAHostileStreamDescribesEndsTheWalk() {
        var tree = SpawnTree()
        for event in [opened(1, in: 20, line: 1), spawned(10, in: 1, line: 2), opened(2, in: 10, line: 3), spawned(20, in: 2, line: 4)] {
            tree.learn(event)
        }
        let chain = tree.chain(task: TaskID(20), group: GroupID(2))
        #expect(chain == [.task(TaskID(20)), .group(GroupID(2)), .task(TaskID(10)), .group(GroupID(1)), .task(TaskID(20))])
    }

    @Test func aDeepChainIsCutAtMaxSteps() {
        var tree = SpawnTree()
        tree.learn(opened(0, in: nil, line: 1))
        for level in 1...200 as ClosedRange<UInt64> {
            tree.learn(spawned(level, in: level - 1, line: 2))
            tree.learn(opened(level, in: level, line: 3))
        }
        #expect(tree.chain(task: TaskID(999), group: GroupID(200)).count == SpawnChain.maxSteps)
    }

    @Test func theTreeKeepsNoMoreThanItsLimit() {
        var tree = SpawnTree(limit: 3)
        for task in 1...10 as ClosedRange<UInt64> { tree.learn(spawned(task, in: 1, line: 1)) }
        #expect(tree.tasks.count == 3)
    }
}
