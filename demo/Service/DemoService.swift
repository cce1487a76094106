import ArgumentParser
import DemoWorkloads
import GroupEvents
import GroupIsolation
import GroupMonitor
import Logging
import SafeGroupLifecycle
import SafeGroupTracing
import ServiceLifecycle
import Glibc

/// How a build of demo-service with a span exporter (Examples/OTel) sets one up.
public struct DemoTracing: Sendable {
    /// Bootstraps the tracer (`InstrumentationSystem`) to export to `endpoint`, an OTLP/HTTP
    /// base URL; returns the exporter's service, which runs first in the service group (so it
    /// stops last and flushes the spans of the shutdown).
    public var bootstrap: @Sendable (_ endpoint: String) throws -> any Service

    public init(bootstrap: @escaping @Sendable (_ endpoint: String) throws -> any Service) {
        self.bootstrap = bootstrap
    }
}

/// `demo-service`: an instrumented service that runs the demo workloads until stopped.
public struct DemoService: AsyncParsableCommand {
    public init() {}

    /// The span exporter of this build: nil in the main package's `demo-service`, set by
    /// Examples/OTel's `demo-service-otlp` before ``runService()``.
    nonisolated(unsafe) public static var tracing: DemoTracing?

    /// The standard variable an OTLP exporter reads its endpoint from.
    public static let endpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT"

    public static let configuration = CommandConfiguration(
        commandName: "demo-service",
        abstract: "An instrumented service that runs SafeGroup's demo workloads continuously.",
        discussion: """
            Runs checkouts, recommendations fan-outs and nightly syncs with faults drawn from the \
            seed, and invoice imports whose parser runs in worker processes and sometimes traps \
            (recovered crashes with the workers' stacks), and serves their events on a Unix socket. The first line of output is \
            'demo-service: serving events on PATH'. Attach with 'safegroup attach PATH', record \
            with 'safegroup record PATH --output FILE'. SIGINT or SIGTERM stops it gracefully: no \
            new run starts, the runs in flight have --drain-timeout seconds to finish, the rest \
            are cancelled (their groups say graceful-shutdown), and the socket is removed.
            """
    )

    /// Runs the service: a worker process of this service (for the isolated invoice parser)
    /// serves its jobs and exits here, before any argument parsing. (Not `main()`: top-level
    /// code would pick ParsableCommand's synchronous one.)
    public static func runService() async {
        await IsolatedWorker.serveIfWorker(demoJobs)
        await main(nil)
    }

    /// Whether this process is one of the service's workers (started by its pool).
    public static var isWorker: Bool { IsolatedWorker.isWorker }

    /// In a worker: serves the invoice parser, each job under its child's propagated context
    /// through `instrument`, and never returns. Otherwise returns at once.
    public static func serveIfWorker(instrument: any GroupInstrument) async {
        await IsolatedWorker.serveIfWorker(demoJobs, instrument: instrument)
    }

    @Option(help: ArgumentHelp(
        "Export every group and child as OpenTelemetry spans to this OTLP/HTTP endpoint (a base URL, e.g. http://127.0.0.1:4318; default: $OTEL_EXPORTER_OTLP_ENDPOINT).",
        discussion: "Only in a build with an exporter: Examples/OTel's demo-service-otlp (docs/FLEET.md)."))
    var otlpEndpoint: String?

    @Option(help: "The socket to serve (default: $SAFEGROUP_SOCKET, else <service>-<pid>.sock in a private per-user directory).")
    var socket: String?

    @Option(help: "The service name that viewers see.")
    var name = "demo-service"

    @Option(help: "Run this many seconds, then exit 0 (default: until SIGINT or SIGTERM).")
    var duration: Double?

    @Option(help: "How many children to start per second, on average.")
    var rate: Double = 100

    @Option(help: "The seed of every random choice (default: a random seed, printed at startup).")
    var seed: UInt64?

    @Option(help: ArgumentHelp(
        "After this many seconds, make one running child trap in-process (a force-unwrap of nil), with the monitor's crash handler on.",
        discussion: "The process dies of the trap, as a service would; attached viewers and the recording get its last gasp first."))
    var trapInProcessAfter: Double?

    @Option(help: "How many worker processes run the isolated invoice parser (0: no invoice imports).")
    var workers = 2

    /// The longest time any option may ask for: a century. A `Duration` of more seconds than an
    /// Int64 of nanoseconds holds (292 years) traps when slept for or added to a clock.
    static let maxSeconds: Double = 100 * 365 * 86_400
    /// The range of --rate: a child every 1,000 s at the slowest (a run's pause stays within
    /// ``maxSeconds``), a million a second at the fastest.
    static let rates: ClosedRange<Double> = 0.001...1_000_000

    public func validate() throws {
        guard (0...Self.maxSeconds).contains(drainTimeout) else {
            throw ValidationError("--drain-timeout must be a number of seconds, 0 or more, at most \(Int(Self.maxSeconds)) (a century), not \(drainTimeout)")
        }
        guard (0...64).contains(workers) else { throw ValidationError("--workers must be between 0 and 64, not \(workers)") }
        guard Self.rates.contains(rate) else {
            throw ValidationError("--rate must be between \(Self.rates.lowerBound) and \(Int(Self.rates.upperBound)) children per second, not \(rate)")
        }
        if let duration, !(duration > 0 && duration <= Self.maxSeconds) {
            throw ValidationError("--duration must be a positive number of seconds, at most \(Int(Self.maxSeconds)) (a century), not \(duration)")
        }
        if let trapInProcessAfter, !(trapInProcessAfter >= 0 && trapInProcessAfter <= Self.maxSeconds) {
            throw ValidationError(trapInProcessAfter > Self.maxSeconds
                ? "--trap-in-process-after must be at most \(Int(Self.maxSeconds)) seconds (a century), not \(trapInProcessAfter)"
                : "--trap-in-process-after must be a number of seconds, 0 or more, not \(trapInProcessAfter)")
        }
    }

    @Flag(help: "Let attached viewers cancel a task or a group ('x' in 'safegroup attach'; MonitorConfiguration.actions).")
    var actions = false

    @Option(help: "On SIGINT or SIGTERM, how many seconds the runs in flight have to finish before the rest are cancelled.")
    var drainTimeout: Double = 2

    public func run() async throws {
        // Spans: --otlp-endpoint, or the standard variable in a build that can export.
        var exporter: (any Service)?
        var sinks: [any EventSink] = []
        let endpoint = otlpEndpoint ?? (Self.tracing == nil ? nil : getenv(Self.endpointVariable).map { String(cString: $0) })
        if let endpoint {
            guard let tracing = Self.tracing else {
                Self.printError("demo-service: --otlp-endpoint: this build has no OTLP exporter; build and run Examples/OTel's demo-service-otlp (swift build --package-path Examples/OTel; see docs/FLEET.md)")
                throw ExitCode.failure
            }
            // The workers export their spans too: they read the endpoint from the environment.
            setenv(Self.endpointVariable, endpoint, 1)
            do {
                exporter = try tracing.bootstrap(endpoint)
            } catch {
                Self.printError("demo-service: cannot export spans to \(endpoint): \(error)")
                throw ExitCode.failure
            }
            sinks.append(TracingSink())
        }
        var configuration = MonitorConfiguration()
        configuration.crashHandler = trapInProcessAfter != nil
        configuration.actions = actions
        // The monitor first: a ServiceGroup stops its services in reverse order, so the monitor
        // stops last and viewers see the workloads' shutdown.
        let monitor = SafeGroupMonitorService(service: name, socketPath: socket, configuration: configuration, sinks: sinks)
        var pool: WorkerPool?
        if workers > 0 {
            do {
                // The workers' own output goes to our stderr, prefixed; their crashes become faults.
                pool = try WorkerPool(.init(size: workers, output: .forwardToStandardError))
            } catch {
                Self.printError("demo-service: \(error)")
                throw ExitCode.failure
            }
        }
        let driver = DemoDriver(.init(seed: seed, childrenPerSecond: rate, workers: pool))
        let work = DemoWork(monitor: monitor, driver: driver, pool: pool, duration: duration, rate: rate,
                            drainTimeout: .seconds(drainTimeout), trapInProcessAfter: trapInProcessAfter)
        var logger = Logger(label: "demo-service", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        let services = ServiceGroup(configuration: .init(
            services: (exporter.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + [
                .init(service: monitor),
                // At the end of --duration the work returns, and the whole service stops.
                .init(service: work, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await services.run()
        } catch {
            pool?.shutdown()
            Self.printError("demo-service: \(error)")
            throw ExitCode.failure
        }
        print("demo-service: stopped")
    }

    static func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
