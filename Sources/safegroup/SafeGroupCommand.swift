import ArgumentParser
import DemoWorkloads
import GroupIsolation

/// `safegroup`: the command-line side of SafeGroup.
///
/// The dashboard in the terminal: `attach` watches a live service, `replay` plays a recording,
/// `demo` runs the demo workloads in-process. Headless: `list` finds the live services, `record`
/// saves a service's stream to a file, `dump` prints a recording or a live stream. Argument errors are
/// ArgumentParser's; runtime errors are one line on standard error starting `safegroup: `.
@main
struct SafeGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safegroup",
        abstract: "Watch, record and print the task-group events of SafeGroup services.",
        subcommands: [AttachCommand.self, ReplayCommand.self, DemoCommand.self,
                      ListCommand.self, RecordCommand.self, DumpCommand.self, BlackBoxCommand.self, SnapshotCommand.self]
    )

    /// The demo's `c` key runs a job in a worker process, which is this binary started again:
    /// that worker serves its jobs and exits here, before any argument parsing.
    static func main() async {
        await IsolatedWorker.serveIfWorker(demoJobs)
        await main(nil)
    }
}
