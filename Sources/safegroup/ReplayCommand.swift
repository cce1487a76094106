import ArgumentParser
import GroupEvents
import Glibc
import SystemCalls

/// `safegroup replay FILE [--speed X]`: the dashboard, playing a recording.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recorded file in the terminal dashboard, with its original timing.",
        discussion: """
            FILE is a recording written by 'safegroup record' or SAFEGROUP_RECORD, or a black \
            box (see 'safegroup list'). Keys: space \
            plays or pauses, + and - change the speed (0.25x to 64x), left and right arrows seek \
            10 s, n and N jump to the next or previous fault, [ and ] step one event, g and G go to \
            the start or the end; ? lists every key, q quits. Lines that cannot be read are \
            skipped and counted in the header. Needs a terminal; for text, use 'safegroup dump FILE'.
            """
    )

    @Argument(help: "The recorded file.", completion: .file())
    var file: String

    @Option(name: .long, help: "The playback speed, from 0.25 to 64.")
    var speed: Double = 1

    @OptionGroup var display: DisplayOptions

    func validate() throws {
        guard ReplaySource.speeds.contains(speed) else {
            throw ValidationError("--speed must be from 0.25 to 64, not \(speed)")
        }
    }

    func run() async throws {
        let status = try await runDashboardReportingFailures {
            guard let type = try Posix.fileType(file) else {
                throw CommandFailure("cannot read \(TextSanitizer.sanitize(file)): no such file")
            }
            guard type == S_IFREG || type == S_IFIFO else {
                throw CommandFailure("cannot replay \(TextSanitizer.sanitize(file)): not a regular file (for a live service, use 'safegroup attach')")
            }
            // A black box is played as the recording it holds.
            let recording = type == S_IFREG ? try BlackBoxRecording.openAsRecording(file) : nil
            // A pipe (`<(…)`) cannot be read twice: the loader copies it for the replay's reader.
            let loader = try RecordingLoader(path: recording ?? file, seekable: type == S_IFREG)
            // The first chunk now: an unreadable file is reported before the screen is taken over.
            let first = loader.next()
            if let failure = first.failure, first.entries.isEmpty { throw CommandFailure(failure) }
            let speed = self.speed
            return try await MainActor.run {
                var source = try ReplaySource(loader: loader, first: first, speed: speed)
                return try DashboardRunner.runToExit(&source, colors: !display.noColor, limits: display.limits)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}
