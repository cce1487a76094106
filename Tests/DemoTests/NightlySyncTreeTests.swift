import DemoWorkloads
import GroupEvents
import GroupEventsTesting
import Testing

extension DemoTests {
    @Suite("The nightly sync nests groups")
    struct NightlySyncTreeTests {
        @Test func tenantGroupsHangUnderTheirTenantTasksAndTablesUnderThem() async throws {
            let night = firstScenario({ NightlySyncScenario.random(runID: $0, using: &$1) }) { $0.tenants.count >= 3 }
            let sink = InMemoryEventSink()
            _ = await NightlySync().run(night, context: DemoControl(seed: 1, sink: sink).context)

            let opened = sink.opened
            let spawned = sink.spawned
            let sync = try #require(opened.first { $0.name == "nightly-sync #\(night.runID)" })
            #expect(sync.parentTask == nil)
            #expect(opened.count == 1 + night.tenants.count)

            for tenant in night.tenants {
                let group = try #require(opened.first { $0.name == "tenant \(tenant.name)" }, "no group for tenant \(tenant.name)")
                let parent = try #require(spawned.first { $0.task == group.parentTask }, "tenant \(tenant.name)'s group names no spawned parent task")
                #expect(parent.name == "tenant \(tenant.name)")
                #expect(parent.group == sync.group)
                #expect(group.parentGroup == sync.group)
                #expect(group.policy == (tenant.stopsOnFirstFault ? .cancelOnFirstFault : .collectAll))
                let tables = spawned.filter { $0.group == group.group }.map(\.name).sorted()
                #expect(tables == tenant.tables.map { "copy \($0.name)" }.sorted())
            }
            // Every group closed, every spawned child ended exactly once.
            #expect(Set(sink.closed.map(\.group)) == Set(opened.map(\.group)))
            let ended = sink.events { if case .taskEnded(let end) = $0 { end.task } else { nil } }
            #expect(ended.sorted() == spawned.map(\.task).sorted())
        }

        @Test func theFirstFaultOfAnAllOrNothingTenantCancelsItsOtherTables() async throws {
            let night = firstScenario({ NightlySyncScenario.random(runID: $0, using: &$1) }) { night in
                night.tenants[0].tables.contains { table in
                    if case .reply(_, let body, _) = table.schema { String(decoding: body, as: UTF8.self).contains("updated_at=text;") } else { false }
                }
            }
            let strict = night.tenants[0]
            await warmUpStackSymbolication()
            let sink = InMemoryEventSink()
            let result = await NightlySync().run(night, context: DemoControl(seed: 1, sink: sink).context)

            let group = try #require(sink.opened.first { $0.name == "tenant \(strict.name)" })
            let closed = try #require(sink.closed.first { $0.group == group.group })
            let mismatch = try #require(sink.faults.first { $0.group == group.group && $0.errorType == "DemoWorkloads.SchemaMismatch" },
                                        "faults of tenant \(strict.name): \(sink.faults.filter { $0.group == group.group }.map { "\($0.kind) \($0.taskName) \($0.errorType)" })")
            #expect(closed.cancellation == .fault(mismatch.task))
            #expect(closed.outcome == .faulted)
            // The tenant's child in the sync group failed with all of the tenant's faults as one.
            #expect(result.faults.contains { $0.taskName == "tenant \(strict.name)" && $0.errorType == "SafeGroup.GroupFaults" })
        }
    }
}
