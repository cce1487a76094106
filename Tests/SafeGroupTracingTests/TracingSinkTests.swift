import Foundation
import GroupEvents
import GroupEventsTesting
import GroupIsolation
import InMemoryTracing
import SafeGroup
import SafeGroupTracing
import TestSupport
import Testing
import Tracing

/// Groups and children as spans, against swift-distributed-tracing's in-memory tracer.
@Suite struct TracingSinkTests {
    struct LookupFailed: Error, CustomStringConvertible {
        let key: String
        var description: String { "no price for \(key)" }
    }

    @inline(never)
    static func failingLookup(_ key: String) async throws -> Int {
        throw LookupFailed(key: key)
    }

    static func span(_ spans: [FinishedInMemorySpan], named name: String) -> FinishedInMemorySpan? {
        spans.first { $0.operationName == name }
    }

    static func string(_ span: FinishedInMemorySpan?, _ key: String) -> String? {
        if case .string(let value)? = span?.attributes.get(key) { return value }
        return nil
    }

    static func int(_ span: FinishedInMemorySpan?, _ key: String) -> Int64? {
        if case .int64(let value)? = span?.attributes.get(key) { return value }
        return nil
    }

    @Test func childSpansNestUnderTheGroupAndTheCaller() async throws {
        let tracer = InMemoryTracer()
        let sink = TracingSink(tracer: tracer)
        let line = #line + 4
        let report = await tracer.withSpan("handle request") { _ in
            await withSafeGroup(of: Void.self, name: "prices", sink: sink) { group in
                for sku in ["a", "b"] {
                    await group.spawn("price \(sku)") {
                        // What the child calls nests under the child's span.
                        tracer.withSpan("db query \(sku)") { _ in }
                    }
                }
            }
        }
        #expect(report.faults.isEmpty)
        let spans = tracer.finishedSpans
        #expect(tracer.activeSpans.isEmpty)
        let request = try #require(Self.span(spans, named: "handle request"))
        let group = try #require(spans.first { $0.operationName.hasPrefix("group ") })
        let children = spans.filter { $0.operationName.hasPrefix("child ") }
        #expect(children.count == 2)
        #expect(group.parentSpanID == request.spanID)
        #expect(group.traceID == request.traceID)
        for child in children {
            #expect(child.parentSpanID == group.spanID)
            #expect(child.traceID == request.traceID)
            // Bounded cardinality: the spawn site names the span, the child's name is an attribute.
            #expect(child.operationName == "child SafeGroupTracingTests/TracingSinkTests.swift:\(line)")
        }
        for sku in ["a", "b"] {
            let query = try #require(Self.span(spans, named: "db query \(sku)"))
            let child = try #require(children.first { Self.string($0, SpanAttributeName.taskName) == "price \(sku)" })
            #expect(query.parentSpanID == child.spanID)
        }
    }

    @Test func spansCarryNamesIdsAndTheSpawnSiteAsCodeAttributes() async throws {
        let tracer = InMemoryTracer()
        var spawned: TaskID?
        let line = #line + 2
        let report = await withSafeGroup(of: Void.self, name: "nightly sync", limit: 3, sink: TracingSink(tracer: tracer)) { group in
            spawned = await group.spawn("sync shard 7") {}
        }
        let spans = tracer.finishedSpans
        let child = try #require(spans.first { $0.operationName.hasPrefix("child ") })
        let group = try #require(spans.first { $0.operationName.hasPrefix("group ") })
        #expect(Self.string(child, SpanAttributeName.taskName) == "sync shard 7")
        #expect(Self.int(child, SpanAttributeName.taskID) == Int64(try #require(spawned).rawValue))
        #expect(Self.string(child, SpanAttributeName.groupName) == "nightly sync")
        #expect(Self.int(child, SpanAttributeName.groupID) == Int64(report.group.rawValue))
        #expect(Self.string(child, "code.file.path") == "SafeGroupTracingTests/TracingSinkTests.swift")
        #expect(Self.int(child, "code.line.number") == Int64(line))
        #expect(Self.string(child, SpanAttributeName.taskStatus) == "ok")
        #expect(child.status == nil)
        #expect(Self.string(group, SpanAttributeName.groupName) == "nightly sync")
        #expect(Self.string(group, SpanAttributeName.groupPolicy) == "collect-all")
        #expect(Self.int(group, SpanAttributeName.groupLimit) == 3)
        #expect(Self.string(group, SpanAttributeName.groupOutcome) == "ok")
        #expect(Self.int(group, SpanAttributeName.groupChildCount) == 1)
        #expect(Self.string(group, "code.file.path") == "SafeGroupTracingTests/TracingSinkTests.swift")
        #expect(Self.int(group, "code.line.number") == Int64(line - 1))
    }

    @Test func aFaultSetsErrorStatusAndRecordsTheErrorWithItsThrowSiteStack() async throws {
        let tracer = InMemoryTracer()
        let report = await withSafeGroup(of: Int.self, name: "prices", sink: TracingSink(tracer: tracer)) { group in
            await group.spawn("price x") { try await Self.failingLookup("x") }
            await group.spawn("price y") { 1 }
        }
        #expect(report.faults.count == 1)
        let spans = tracer.finishedSpans
        let failed = try #require(spans.first { Self.string($0, SpanAttributeName.taskName) == "price x" })
        let ok = try #require(spans.first { Self.string($0, SpanAttributeName.taskName) == "price y" })
        #expect(failed.status?.code == .error)
        #expect(failed.status?.message == "error: no price for x")
        #expect(ok.status == nil)
        #expect(failed.errors.count == 1)
        let recorded = try #require(failed.errors.first)
        #expect(String(describing: recorded.error) == "no price for x")
        func attribute(_ key: String) -> String? {
            if case .string(let value)? = recorded.attributes.get(key) { return value }
            return nil
        }
        #expect(attribute("exception.type") == String(reflecting: LookupFailed.self))
        #expect(attribute("exception.message") == "no price for x")
        #expect(attribute(SpanAttributeName.faultKind) == "error")
        #expect(attribute(SpanAttributeName.stackOrigin) == "throw")
        // The stack of where it was thrown: the throwing function is in it.
        let stack = try #require(attribute("exception.stacktrace"))
        #expect(stack.contains("failingLookup"), "\(stack)")
        #expect(Self.string(failed, SpanAttributeName.taskStatus) == "failed")
        let group = try #require(spans.first { $0.operationName.hasPrefix("group ") })
        #expect(group.status?.code == .error)
        #expect(Self.string(group, SpanAttributeName.groupOutcome) == "faulted")
        #expect(failed.parentSpanID == group.spanID)
    }

    @Test func timeoutsAndSlowCancelsAreSpanEvents() async throws {
        let tracer = InMemoryTracer()
        let report = await withSafeGroup(of: Void.self, name: "stuck", slowCancelThreshold: .milliseconds(30),
                                         sink: TracingSink(tracer: tracer)) { group in
            await group.spawn("deaf", timeout: .milliseconds(20)) {
                // Ignores cancellation for a while: reported slow to cancel.
                let until = ContinuousClock.now + .milliseconds(300)
                while ContinuousClock.now < until { try? await Task.sleep(for: .milliseconds(10)) }
            }
        }
        #expect(report.faults.map(\.kind) == [.timeout])
        #expect(tracer.activeSpans.isEmpty)
        let deaf = try #require(tracer.finishedSpans.first { Self.string($0, SpanAttributeName.taskName) == "deaf" })
        let names = deaf.events.map(\.name)
        #expect(names.contains(SpanEventName.timeout))
        #expect(names.contains(SpanEventName.slowToCancel))
        #expect(deaf.errors.count == 1)
        if case .string(let type)? = deaf.errors.first?.attributes.get("exception.type") {
            #expect(type == "SafeGroup.timeout")
        } else {
            Issue.record("a timeout's exception has no type")
        }
        #expect(deaf.status?.code == .error)
        #expect(deaf.attributes.get(SpanAttributeName.slowToCancel) == .bool(true))
        #expect(Self.string(deaf, SpanAttributeName.taskStatus) == "timed-out")
        let group = try #require(tracer.finishedSpans.first { $0.operationName.hasPrefix("group ") })
        #expect(group.events.map(\.name).contains(SpanEventName.slowToCancel))
    }

    @Test func aCancellationAndItsCauseAreSpanEvents() async throws {
        let tracer = InMemoryTracer()
        let report = await withSafeGroup(of: Int.self, name: "fail fast", policy: .cancelOnFirstFault,
                                         sink: TracingSink(tracer: tracer)) { group in
            await group.spawn("sleeper") { try await Task.sleep(for: .seconds(60)); return 0 }
            await group.spawn("lookup") { try await Self.failingLookup("z") }
        }
        #expect(report.cancellation != nil)
        let spans = tracer.finishedSpans
        #expect(tracer.activeSpans.isEmpty)
        let sleeper = try #require(spans.first { Self.string($0, SpanAttributeName.taskName) == "sleeper" })
        #expect(sleeper.events.map(\.name).contains(SpanEventName.cancelled))
        let lookup = try #require(spans.first { Self.string($0, SpanAttributeName.taskName) == "lookup" })
        let lookupID = try #require(Self.int(lookup, SpanAttributeName.taskID))
        let group = try #require(spans.first { $0.operationName.hasPrefix("group ") })
        let cancelled = try #require(group.events.first { $0.name == SpanEventName.groupCancelled })
        #expect(cancelled.attributes.get(SpanAttributeName.cancellationCause) == .string("fault in t\(lookupID)"))
    }

    @Test func aViewerCancellingAChildOrAGroupIsASpanEventNamingItsPID() async throws {
        let tracer = InMemoryTracer()
        let sink = TracingSink(tracer: tracer)
        _ = await withSafeGroup(of: Void.self, name: "operated", sink: sink) { group in
            await group.spawn("target") {
                let task = try #require(SafeGroupTask.current)
                sink.emit(Event(.viewerAction(ViewerAction(viewer: 4242, request: 1, action: "cancel",
                                                           target: .task(task), result: .cancelled))))
                // A refused request leaves no trace on the span.
                sink.emit(Event(.viewerAction(ViewerAction(viewer: 4243, request: 2, action: "cancel",
                                                           target: .task(task), result: .refused, reason: "off"))))
            }
            sink.emit(Event(.viewerAction(ViewerAction(viewer: 4244, request: 3, action: "cancel",
                                                       target: .group(group.id), result: .cancelled))))
        }
        let target = try #require(tracer.finishedSpans.first { Self.string($0, SpanAttributeName.taskName) == "target" })
        let onTask = target.events.filter { $0.name == SpanEventName.viewerCancelled }
        #expect(onTask.map { $0.attributes.get(SpanAttributeName.viewerPID) } == [.int64(4242)])
        let group = try #require(tracer.finishedSpans.first { $0.operationName.hasPrefix("group ") })
        let onGroup = group.events.filter { $0.name == SpanEventName.viewerCancelled }
        #expect(onGroup.map { $0.attributes.get(SpanAttributeName.viewerPID) } == [.int64(4244)])
    }

    @Test func aNestedGroupNestsUnderTheChildItWasOpenedIn() async throws {
        let tracer = InMemoryTracer()
        _ = await withSafeGroup(of: Void.self, name: "outer", sink: TracingSink(tracer: tracer)) { group in
            await group.spawn("parent") {
                _ = await withSafeGroup(of: Void.self, name: "inner") { inner in
                    await inner.spawn("leaf") {}
                }
            }
        }
        let spans = tracer.finishedSpans
        let parent = try #require(spans.first { Self.string($0, SpanAttributeName.taskName) == "parent" })
        let inner = try #require(spans.first { Self.string($0, SpanAttributeName.groupName) == "inner" && $0.operationName.hasPrefix("group ") })
        let leaf = try #require(spans.first { Self.string($0, SpanAttributeName.taskName) == "leaf" })
        #expect(inner.parentSpanID == parent.spanID)
        #expect(Self.int(inner, SpanAttributeName.parentTaskID) == Self.int(parent, SpanAttributeName.taskID))
        #expect(leaf.parentSpanID == inner.spanID)
    }

    @Test func aTracingSinkBesideOthersInAMultiplexerStillInstruments() async throws {
        let tracer = InMemoryTracer()
        let events = InMemoryEventSink()
        _ = await withSafeGroup(of: Void.self, name: "both", sink: MultiplexEventSink(events, TracingSink(tracer: tracer))) { group in
            await group.spawn("one") {}
        }
        #expect(tracer.finishedSpans.filter { $0.operationName.hasPrefix("child ") }.count == 1)
        #expect(events.ended.count == 1)
    }

    @Test func aGroupWithAPlainSinkOpensNoSpan() async throws {
        let tracer = InMemoryTracer()
        _ = await tracer.withSpan("outside") { _ in
            await withSafeGroup(of: Void.self, name: "plain", sink: InMemoryEventSink()) { group in
                await group.spawn("one") {}
            }
        }
        #expect(tracer.finishedSpans.map(\.operationName) == ["outside"])
    }

    @Test func aTracerThatDoesNotRecordStillRunsEveryChildAndKeepsNoSpan() async throws {
        // NoOpTracer's spans do not record: the sink binds and ends them with the child's work.
        let report = await withSafeGroup(of: Int.self, name: "unsampled", sink: TracingSink(tracer: NoOpTracer())) { group in
            for value in 0..<50 { await group.spawn("v\(value)") { value } }
            await group.spawn("fails") { try await Self.failingLookup("n") }
        }
        #expect(report.results.map(\.value).sorted() == Array(0..<50))
        #expect(report.faults.map(\.kind) == [.error])
    }

    /// The fixture's job, as this side names it: the worker answers with what its current span is.
    struct TraceContextJob: IsolatedJob {
        static let name = "trace-context"
        static func run(_ input: String) async throws -> [String] { [] }
    }

    @Test func anIsolatedChildsWorkerJoinsTheChildsTrace() async throws {
        let tracer = InMemoryTracer()
        let fixture = productsDirectory.appendingPathComponent("tracing-fixture").path
        let pool = try WorkerPool(size: 1, executable: fixture)
        defer { pool.shutdown() }
        let report = await withSafeGroup(of: [String].self, name: "imports", sink: TracingSink(tracer: tracer)) { group in
            await group.spawnIsolated("import #1", on: pool, job: TraceContextJob.self, input: "")
        }
        #expect(report.faults.isEmpty, "\(report.faults)")
        let seen = try #require(report.results.first?.value)
        let child = try #require(tracer.finishedSpans.first { Self.string($0, SpanAttributeName.taskName) == "import #1" })
        // The worker's job ran in a span of the child's trace, whose parent is the child's span.
        #expect(seen.count == 3)
        #expect(seen.first == child.traceID)
        #expect(seen.last == child.spanID)
        #expect(seen.dropFirst().first != child.spanID)
    }
}
