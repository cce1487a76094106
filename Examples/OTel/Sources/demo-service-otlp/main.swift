// demo-service-otlp: demo-service with its groups and children exported as OpenTelemetry spans
// (swift-otel, OTLP/HTTP). `--otlp-endpoint URL` or OTEL_EXPORTER_OTLP_ENDPOINT names the
// collector; every other option is demo-service's.
import DemoServiceKit
import Glibc
import OTel
import SafeGroupTracing
import ServiceLifecycle

/// swift-otel's configuration for the demo: traces only, to `endpoint` over OTLP/HTTP, in
/// batches sent every 500 ms so that a check sees them soon.
func configuration(endpoint: String, serviceName: String) -> OTel.Configuration {
    var configuration = OTel.Configuration.default
    configuration.serviceName = serviceName
    configuration.metrics.enabled = false
    configuration.logs.enabled = false
    configuration.traces.exporter = .otlp
    configuration.traces.otlpExporter.protocol = .httpProtobuf
    configuration.traces.otlpExporter.endpoint = endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces"
    configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
    configuration.diagnosticLogLevel = .warning
    return configuration
}

// A worker (the isolated invoice parser) exports its jobs' spans too, joined to its children's
// traces: it bootstraps its own exporter from the environment its service set.
if DemoService.isWorker, let endpoint = getenv(DemoService.endpointVariable).map({ String(cString: $0) }) {
    let observability = try OTel.bootstrap(configuration: configuration(endpoint: endpoint, serviceName: "demo-service-worker"))
    Task { try await observability.run() }
    await DemoService.serveIfWorker(instrument: TracingSink())
}

DemoService.tracing = DemoTracing { endpoint in
    try OTel.bootstrap(configuration: configuration(endpoint: endpoint, serviceName: "demo-service"))
}
await DemoService.runService()
