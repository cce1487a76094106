import ArgumentParser

/// The options of the commands that draw the dashboard.
struct DisplayOptions: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "Draw without colours (as the NO_COLOR environment variable does).")
    var noColor = false
}
