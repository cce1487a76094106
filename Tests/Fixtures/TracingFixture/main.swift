// tracing-fixture: the worker binary of SafeGroupTracingTests' isolated child.
//
// Started by a WorkerPool, it serves one job, `trace-context`, under the context its child sent
// (a TracingSink over an in-memory tracer is its instrument), and returns what the job sees:
// the trace id, span id and parent span id of its current span, and the span's name.
import GroupIsolation
import InMemoryTracing
import SafeGroupTracing
import Tracing

struct TraceContextJob: IsolatedJob {
    static let name = "trace-context"

    static func run(_ input: String) async throws -> [String] {
        guard let span = ServiceContext.current?.inMemorySpanContext else { return [] }
        return [span.traceID, span.spanID, span.parentSpanID ?? ""]
    }
}

await IsolatedWorker.serveIfWorker(IsolatedJobRegistry(TraceContextJob.self), instrument: TracingSink(tracer: InMemoryTracer()))
print("tracing-fixture: run by a WorkerPool only")
