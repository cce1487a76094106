import ArgumentParser
import DemoWorkloads
import GroupIsolation
import GroupMonitor
import Logging
import SafeGroupLifecycle
import ServiceLifecycle
import Glibc

/// `demo-service`: an instrumented service that runs the demo workloads until stopped.
@main
struct DemoService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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

    /// A worker process of this service (for the isolated invoice parser) serves its jobs and
    /// exits here, before any argument parsing.
    static func main() async {
        await IsolatedWorker.serveIfWorker(demoJobs)
        await main(nil)
    }

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

    func validate() throws {
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

    func run() async throws {
        var configuration = MonitorConfiguration()
        configuration.crashHandler = trapInProcessAfter != nil
        configuration.actions = actions
        // The monitor first: a ServiceGroup stops its services in reverse order, so the monitor
        // stops last and viewers see the workloads' shutdown.
        let monitor = SafeGroupMonitorService(service: name, socketPath: socket, configuration: configuration)
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
            services: [
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
