import GroupEvents
import Synchronization
import Tracing

/// Children and groups as spans of swift-distributed-tracing: an ``EventSink`` whose
/// ``GroupInstrument`` opens a span per group and per child, inside their tasks.
///
/// Install it beside the monitor (or alone) once the tracer is bootstrapped:
///
/// ```swift
/// InstrumentationSystem.bootstrap(tracer)          // swift-otel's, for example
/// let monitor = SafeGroupMonitorService(service: "checkout", sinks: [TracingSink()])
/// ```
///
/// - A group's span opens under the caller's current span (`ServiceContext.current`), and each
///   child's span under its group's, inside the child: what the child calls (its HTTP and
///   database clients' spans) nests under it.
/// - Span names are the spawn site (`child Checkout/Handler.swift:42`, `group …`), so there are
///   as many as there are `spawn` calls in the code; names and ids are attributes
///   (``SpanAttributeName``), the site also as the semantic conventions' `code.file.path` and
///   `code.line.number`.
/// - A fault sets the child's span status to error and records the error as an `exception`
///   event with `exception.type` (`SafeGroup.timeout`, `SafeGroup.crash` for faults without an
///   error value), `exception.message` and `exception.stacktrace` (the stack
///   of where it was thrown); a timeout, a cancellation and slowness to cancel are span events
///   (``SpanEventName``), and a group's cancellation cause is an event of the group's span.
/// - An isolated child sends its context (a W3C `traceparent` with swift-otel) to the worker;
///   a worker that passes a `TracingSink` to `IsolatedWorker.serveIfWorker(_:instrument:)`
///   runs the job in a span of that trace.
///
/// A child's span ends with its `task.ended` event: after its fault, whose stack is
/// symbolicated off the child's path. A group's span ends after its `group.closed` event.
public final class TracingSink: InstrumentedEventSink, GroupInstrument {
    private let tracer: any Tracer
    private let children = SpanTable<TaskID>()
    private let groups = SpanTable<GroupID>()

    /// A sink that opens spans with `tracer` (by default the one bootstrapped in
    /// `InstrumentationSystem` now: bootstrap it first).
    public init(tracer: any Tracer = InstrumentationSystem.tracer) {
        self.tracer = tracer
    }

    public var instrument: (any GroupInstrument)? { self }

    // MARK: GroupInstrument

    public func withGroup<Result>(_ group: InstrumentedGroup, isolation: isolated (any Actor)?,
                                  _ body: () async -> Result) async -> Result {
        let span = tracer.startSpan("group \(group.site)", context: ServiceContext.current ?? .topLevel, ofKind: .internal,
                                    at: DefaultTracerClock.now, function: "withSafeGroup", file: group.site.file, line: UInt(group.site.line))
        var attributes = span.attributes
        attributes[SpanAttributeName.groupName] = group.name
        attributes[SpanAttributeName.groupID] = Int64(truncatingIfNeeded: group.group.rawValue)
        attributes[SpanAttributeName.groupPolicy] = group.policy.rawValue
        if let limit = group.limit { attributes[SpanAttributeName.groupLimit] = limit }
        if let parent = group.parentTask { attributes[SpanAttributeName.parentTaskID] = Int64(truncatingIfNeeded: parent.rawValue) }
        attributes[SpanAttributeName.codeFilePath] = group.site.file
        attributes[SpanAttributeName.codeLineNumber] = Int(group.site.line)
        span.attributes = attributes
        groups.insert(group.group, span)
        defer {
            groups.remove(group.group)
            span.end()
        }
        return await ServiceContext.withValue(span.context, isolation: isolation) { await body() }
    }

    public func withChild<Result>(_ child: InstrumentedChild, _ body: () async -> Result) async -> Result {
        let span = tracer.startSpan("child \(child.site)", context: ServiceContext.current ?? .topLevel, ofKind: .internal,
                                    at: DefaultTracerClock.now, function: "spawn", file: child.site.file, line: UInt(child.site.line))
        guard span.isRecording else {
            // Not sampled (or a no-op tracer): nothing will read its attributes or events, so it
            // is only bound, for what the child calls, and ended with the child's work.
            defer { span.end() }
            return await ServiceContext.withValue(span.context) { await body() }
        }
        var attributes = span.attributes
        attributes[SpanAttributeName.taskName] = child.name
        attributes[SpanAttributeName.taskID] = Int64(truncatingIfNeeded: child.task.rawValue)
        attributes[SpanAttributeName.groupName] = child.groupName
        attributes[SpanAttributeName.groupID] = Int64(truncatingIfNeeded: child.group.rawValue)
        attributes[SpanAttributeName.codeFilePath] = child.site.file
        attributes[SpanAttributeName.codeLineNumber] = Int(child.site.line)
        span.attributes = attributes
        children.insert(child.task, span)
        // Ended by the child's task.ended event, which may come after the body (a fault's stack
        // is symbolicated off the child's path).
        return await ServiceContext.withValue(span.context) { await body() }
    }

    public func propagationCarrier() -> [String: String] {
        guard let context = ServiceContext.current else { return [:] }
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: DictionaryCarrier())
        return carrier
    }

    public func withPropagatedCarrier<Result>(_ carrier: [String: String], job: String,
                                              _ body: () async throws -> Result) async throws -> Result {
        var context = ServiceContext.topLevel
        tracer.extract(carrier, into: &context, using: DictionaryCarrier())
        let span = tracer.startSpan("isolated job \(job)", context: context, ofKind: .internal,
                                    at: DefaultTracerClock.now, function: "serveIfWorker", file: #fileID, line: #line)
        span.attributes[SpanAttributeName.jobName] = job
        defer { span.end() }
        do {
            return try await ServiceContext.withValue(span.context) { try await body() }
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: String(describing: error)))
            throw error
        }
    }

    // MARK: EventSink

    public func emit(_ event: Event) {
        switch event.kind {
        case .taskEnded(let ended):
            guard let span = children.remove(ended.task) else { return }
            switch ended.status {
            case .ok, .failed, .timedOut, .crashed: break
            case .cancelled: span.addEvent(SpanEvent(name: SpanEventName.cancelled))
            }
            span.attributes[SpanAttributeName.taskStatus] = ended.status.rawValue
            if ended.wasSlowToCancel { span.attributes[SpanAttributeName.slowToCancel] = true }
            span.end()
        case .faultRecorded(let fault):
            guard let span = children.get(fault.task) else { return }
            record(fault, on: span)
        case .slowToCancel(let slow):
            var attributes = SpanAttributes()
            attributes.set(SpanAttributeName.taskID, value: .int64(Int64(truncatingIfNeeded: slow.task.rawValue)))
            attributes.set(SpanAttributeName.sinceCancelNanoseconds, value: .int64(Int64(clamping: slow.sinceCancelNanoseconds)))
            children.get(slow.task)?.addEvent(SpanEvent(name: SpanEventName.slowToCancel, attributes: attributes))
            groups.get(slow.group)?.addEvent(SpanEvent(name: SpanEventName.slowToCancel, attributes: attributes))
        case .groupClosed(let closed):
            guard let span = groups.get(closed.group) else { return }
            var attributes = span.attributes
            attributes[SpanAttributeName.groupOutcome] = closed.outcome.rawValue
            attributes[SpanAttributeName.groupFaultCount] = closed.faultCount
            attributes[SpanAttributeName.groupChildCount] = closed.childCount
            span.attributes = attributes
            if let cause = closed.cancellation {
                var attributes = SpanAttributes()
                attributes.set(SpanAttributeName.cancellationCause, value: .string(Self.describe(cause)))
                span.addEvent(SpanEvent(name: SpanEventName.groupCancelled, attributes: attributes))
            }
            if closed.faultCount > 0 {
                span.setStatus(SpanStatus(code: .error, message: "\(closed.faultCount) of \(closed.childCount) children faulted"))
            }
        case .viewerAction(let action) where action.result == .cancelled:
            // An operator cancelled this task or group from the dashboard: the span says who.
            var attributes = SpanAttributes()
            attributes.set(SpanAttributeName.viewerPID, value: .int64(Int64(action.viewer)))
            let event = SpanEvent(name: SpanEventName.viewerCancelled, attributes: attributes)
            switch action.target {
            case .task(let id)?: children.get(id)?.addEvent(event)
            case .group(let id)?: groups.get(id)?.addEvent(event)
            case nil: break
            }
        case .groupOpened, .taskSpawned, .taskStarted, .dropped, .heartbeat, .processCrashed, .viewerAction:
            break
        }
    }

    /// Sets the error status and records the fault as an exception with its stack.
    private func record(_ fault: FaultInfo, on span: any Span) {
        span.setStatus(SpanStatus(code: .error, message: "\(fault.kind.rawValue): \(fault.message)"))
        var attributes = SpanAttributes()
        // A timeout or a crash has no error value, so no type: the kind stands in for it.
        attributes.set("exception.type", value: .string(fault.errorType.isEmpty ? "SafeGroup.\(fault.kind.rawValue)" : fault.errorType))
        attributes.set("exception.message", value: .string(fault.message))
        attributes.set(SpanAttributeName.faultKind, value: .string(fault.kind.rawValue))
        attributes.set(SpanAttributeName.stackOrigin, value: .string(fault.stackOrigin.rawValue))
        if !fault.stack.isEmpty { attributes.set("exception.stacktrace", value: .string(Self.stackTrace(fault.stack))) }
        if let signal = fault.signal { attributes.set(SpanAttributeName.signal, value: .int64(Int64(signal))) }
        span.recordError(FaultError(fault: fault), attributes: attributes)
        switch fault.kind {
        case .timeout: span.addEvent(SpanEvent(name: SpanEventName.timeout))
        case .cancelled: span.addEvent(SpanEvent(name: SpanEventName.cancelled))
        case .error, .crash: break
        }
    }

    /// A stack as `exception.stacktrace` text: one frame a line, innermost first.
    static func stackTrace(_ frames: [StackFrame]) -> String {
        frames.map { frame in
            guard let file = frame.file else { return "at \(frame.symbol)" }
            return "at \(frame.symbol) (\(file):\(frame.line))"
        }.joined(separator: "\n")
    }

    static func describe(_ cause: CancellationCause) -> String {
        switch cause {
        case .parentCancelled: "parent-cancelled"
        case .fault(let task): "fault in \(task)"
        case .requested: "requested"
        case .gracefulShutdown: "graceful-shutdown"
        }
    }
}

/// The fault a span records: its description is the fault's message (the attributes name the
/// original error's type).
struct FaultError: Error, CustomStringConvertible {
    let fault: FaultInfo
    var description: String { fault.message }
}

/// A tracer's carrier as a dictionary of strings, for the job channel.
struct DictionaryCarrier: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }

    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
