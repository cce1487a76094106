import ArgumentParser

/// `safegroup`: the command-line side of SafeGroup.
///
/// Headless subcommands for now: `list` finds the live services, `record` saves a service's
/// stream to a file, `dump` prints a recording or a live stream. Argument errors are
/// ArgumentParser's; runtime errors are one line on standard error starting `safegroup: `.
@main
struct SafeGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safegroup",
        abstract: "Watch, record and print the task-group events of SafeGroup services.",
        subcommands: [ListCommand.self, RecordCommand.self, DumpCommand.self]
    )
}
