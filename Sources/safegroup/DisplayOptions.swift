import ArgumentParser
import Dashboard
import GroupHealth

/// The options of the commands that draw the dashboard.
struct DisplayOptions: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "Draw without colours (as the NO_COLOR environment variable does).")
    var noColor = false

    @OptionGroup var warnings: WarningOptions

    /// The dashboard's limits, with the warnings chosen.
    var limits: DashboardLimits {
        var health = HealthConfiguration()
        health.enabled = (try? warnings.kinds()) ?? health.enabled
        return DashboardLimits(health: health)
    }
}

/// `--warn` and `--allow`: which warnings run (docs/HEALTH.md), as tokio-console's lints.
struct WarningOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Run only these warnings (comma-separated: \(WarningKind.names.joined(separator: ", ")), or all).",
        valueName: "warnings"))
    var warn: String?

    @Option(name: .long, help: ArgumentHelp("Do not run these warnings (comma-separated; all turns them off).", valueName: "warnings"))
    var allow: String?

    func validate() throws { _ = try kinds() }

    /// The warnings that run: those of --warn (default all), less those of --allow.
    func kinds() throws -> Set<WarningKind> {
        var kinds = Set(WarningKind.allCases)
        if let warn { kinds = try Self.parse(warn, option: "--warn") }
        if let allow { kinds.subtract(try Self.parse(allow, option: "--allow")) }
        return kinds
    }

    private static func parse(_ list: String, option: String) throws -> Set<WarningKind> {
        switch WarningKind.parse(list) {
        case .success(let kinds): return kinds
        case .failure(let error): throw ValidationError("\(option): \(error)")
        }
    }
}
