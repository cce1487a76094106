import ArgumentParser
import GroupEvents
import MonitorClient
import Glibc
import SystemCalls

/// `safegroup blackbox [FILE] [-o OUT]`: copies a black box out as an ordinary recording.
struct BlackBoxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blackbox",
        abstract: "Copy a black box (the last events of a process that died) out as an ordinary recording.",
        discussion: """
            FILE is a black box, as 'safegroup list' shows them; without it, the box left by a \
            process that is gone whose last event is the newest. A live process's box is refused: \
            'safegroup snapshot SOCKET' copies it. The recording starts with the header kept in the box and \
            goes on with the ring's lines from its wrap point, oldest first; when the process \
            crashed with the crash handler on, its last event is the crash. Read it with \
            'safegroup replay', 'safegroup dump' or any NDJSON tool. 'replay' and 'dump' also read \
            a box directly.
            """
    )

    @Argument(help: "The black box; the newest one left behind when omitted.", completion: .file())
    var file: String?

    @Option(name: .shortAndLong, help: "The recording to write ('-' for standard output); by default <box name>.ndjson here.")
    var output: String?

    func run() async throws {
        try await runReportingFailures {
            let entry: BlackBoxFiles.Entry
            if let file {
                let found = try BlackBoxRecording.deadEntry(file)
                guard let found else {
                    throw CommandFailure("\(TextSanitizer.sanitize(file)) is not a black box (for a recording, use 'safegroup dump' or 'replay')")
                }
                entry = found
            } else {
                let places = BlackBoxFiles.directories().map(TextSanitizer.sanitize).joined(separator: ", ")
                guard let newest = BlackBoxFiles.scan().first else {
                    throw CommandFailure("no black box left by a process that died (looked in \(places))")
                }
                entry = newest
            }
            let name = entry.path.split(separator: "/").last.map(String.init) ?? "blackbox"
            let target = output ?? String(name.dropLast(BlackBoxImage.fileExtension.count)) + ".ndjson"
            let recording = entry.image.recording
            if target == "-" {
                try recording.withUnsafeBytes { bytes in Result { () throws(PosixError) in try Posix.writeAll(STDOUT_FILENO, bytes, subject: "standard output") } }.get()
                return
            }
            let fd = try Posix.createForWriting(target)
            defer { Posix.close(fd) }
            try recording.withUnsafeBytes { bytes in Result { () throws(PosixError) in try Posix.writeAll(fd, bytes, subject: target) } }.get()
            let service = entry.header.map { TextSanitizer.sanitize($0.service) } ?? "?"
            reportToStandardError("wrote \(recording.count) bytes of \(service) pid \(entry.image.pid) (\(entry.outcome)) to \(TextSanitizer.sanitize(target))")
        }
    }
}
