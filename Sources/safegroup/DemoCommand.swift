import ArgumentParser
import SystemCalls

/// `safegroup demo [--seed N] [--record FILE]`: the dashboard over the demo workloads,
/// run in this process.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo workloads in this process and watch them in the terminal dashboard.",
        discussion: """
            Checkouts, recommendation fan-outs and nightly syncs run continuously, with faults \
            drawn from the seed. Keys: e injects an error into a running child, t a timeout, b \
            starts a burst of 1,000 children, x cancels the selected workload run's group, c makes an \
            isolated child really trap in a worker process (a recovered crash with the worker's stack). \
            ? lists every key, q quits. With --record, the session \
            is also written to FILE for 'safegroup replay'.
            """
    )

    @Option(name: .long, help: "The seed of every random choice (default: a random one, shown in the header).")
    var seed: UInt64?

    @Option(name: .long, help: "Also record the events to this file (created or truncated, mode 0600).")
    var record: String?

    @OptionGroup var display: DisplayOptions

    func run() async throws {
        let status = try await runDashboardReportingFailures {
            var recording: OutputStream?
            if let record { recording = OutputStream(fd: try Posix.createForWriting(record), name: record) }
            defer { if let recording { Posix.close(recording.fd) } }
            let seed = self.seed
            return try await MainActor.run {
                var source = DemoSource(seed: seed, recording: recording)
                return try DashboardRunner.runToExit(&source, colors: !display.noColor, limits: display.limits)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}
