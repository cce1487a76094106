import ArgumentParser
import DemoWorkloads
import GroupIsolation
import Dispatch
import GroupMonitor
import Glibc
import SystemCalls

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
            with 'safegroup record PATH --output FILE'. SIGINT or SIGTERM stops it cleanly: the \
            runs in flight are cancelled, and the socket is removed.
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

    func run() async throws {
        let monitor: SafeGroupMonitor
        do {
            var configuration = MonitorConfiguration()
            configuration.crashHandler = trapInProcessAfter != nil
            monitor = try SafeGroupMonitor.start(service: name, socketPath: socket, configuration: configuration)
        } catch {
            Self.printError("demo-service: \(error)")
            throw ExitCode.failure
        }
        var pool: WorkerPool?
        if workers > 0 {
            do {
                // The workers' own output goes to our stderr, prefixed; their crashes become faults.
                pool = try WorkerPool(.init(size: workers, output: .forwardToStandardError))
            } catch {
                Self.printError("demo-service: \(error)")
                monitor.shutdown()
                throw ExitCode.failure
            }
        }
        let driver = DemoDriver(.init(seed: seed, childrenPerSecond: rate, workers: pool))
        print("demo-service: serving events on \(monitor.socketPath)")
        print("demo-service: seed \(driver.seed), \(rate) children/s\(duration.map { ", for \($0) s" } ?? "")")
        // Scripts wait for the first line through a pipe, where stdout is block-buffered: flush it.
        fflush(nil)

        // Unstructured so that the signal handler can cancel it; it is awaited just below.
        let work = Task { await driver.run(for: duration.map { .seconds($0) }) }
        let trap = trapInProcessAfter.map { delay in
            Task { [control = driver.control] in
                print("demo-service: a child will trap in-process after \(delay) s (crash handler on)")
                fflush(nil)
                do { try await Task.sleep(for: .seconds(delay)) } catch { return }
                // Again until one traps: the child chosen may be cancelled (its group's policy, its
                // timeout) before its next await point, where it would carry the trap out.
                while !Task.isCancelled {
                    if let target = control.injectTrap() {
                        Self.printError("demo-service: child \(target.task.map { "\($0) " } ?? "")'\(target.name)' will trap in-process")
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        defer { trap?.cancel() }
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM], queue: DispatchQueue(label: "demo-service.signals")) { signal in
            Self.printError("demo-service: got signal \(signal), stopping")
            work.cancel()
        }
        await work.value
        signals.stop()
        pool?.shutdown()
        monitor.shutdown()
        print("demo-service: stopped")
    }

    private static func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
