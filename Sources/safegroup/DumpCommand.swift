import ArgumentParser
import GroupEvents
import GroupMonitor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `safegroup dump SOURCE [--json] [--follow]`.
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a recorded file or a live socket's stream, one sanitized line per event.",
        discussion: """
            SOURCE is a file written by 'safegroup record' (or SAFEGROUP_RECORD), or a service's \
            socket. Text from the stream is untrusted: control characters, escape sequences and \
            bidi controls are shown as visible escapes such as \\u{1B}, never passed through. \
            With --json, prints canonical NDJSON (docs/PROTOCOL.md) for jq, with DEL, C1 and bidi \
            characters as \\u escapes so that it is safe on a terminal too. Malformed lines are \
            reported on standard error with their line numbers and skipped; a summary follows. \
            Without --follow, a socket is read up to its first heartbeat (the snapshot and what \
            happened meanwhile); with --follow, a file is tailed and a socket is followed, across \
            service restarts, until SIGINT.
            """
    )

    @Argument(help: "A recorded file, or a service's socket path.")
    var source: String

    @Flag(name: .long, help: "Print canonical NDJSON instead of text.")
    var json = false

    @Flag(name: .long, help: "Keep reading: tail a file as it grows, follow a socket across restarts.")
    var follow = false

    /// How often a followed file is checked for growth.
    static let pollInterval: Duration = .milliseconds(200)

    func run() async throws {
        try await runReportingFailures {
            guard let type = try Posix.fileType(source) else {
                throw CommandFailure("cannot read \(source): no such file or socket")
            }
            if type == S_IFDIR {
                throw CommandFailure("cannot read \(source): it is a directory (give a recorded file or a socket)")
            }
            let (source, json, follow) = (self.source, self.json, self.follow)
            // Only a followed source waits for anything: there SIGINT ends the dump cleanly.
            try await Self.interruptible(follow) {
                var printer = RecordPrinter(json: json, source: TextSanitizer.sanitize(source))
                if type == S_IFSOCK {
                    try await Self.dumpSocket(source, follow: follow, to: &printer)
                } else {
                    try await Self.dumpFile(source, follow: follow, to: &printer)
                }
            }
        }
    }

    /// Runs `body` in a task that SIGINT and SIGTERM cancel, when `interruptible`.
    private static func interruptible(_ interruptible: Bool, _ body: @escaping @Sendable () async throws -> Void) async throws {
        guard interruptible else { return try await body() }
        let signals = SignalWatcher()
        let work = Task { try await body() }
        let watcher = Task {
            await signals.next()
            work.cancel()
        }
        defer { watcher.cancel() }
        try await work.value
    }

    private static func dumpFile(_ source: String, follow: Bool, to printer: inout RecordPrinter) async throws {
        let fd = try Posix.openForReading(source)
        defer { Posix.close(fd) }
        var decoder = WireDecoder()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        do {
            while true {
                let count = try buffer.withUnsafeMutableBytes { (raw) throws(SystemError) -> Int in
                    try Posix.read(fd, into: raw, subject: source)
                }
                if count > 0 {
                    try decoder.feed(buffer[..<count])
                    try printer.printAll(from: &decoder)
                    continue
                }
                guard follow, !Task.isCancelled else { break }
                try printer.flush()
                try? await Task.sleep(for: pollInterval)
                if Task.isCancelled { break }
            }
            // A followed file stopped by SIGINT may end in a line still being written: not torn.
            if !follow { try decoder.finish() }
            try printer.printAll(from: &decoder)
        } catch let error as WireFormatError {
            try? printer.printAll(from: &decoder)
            try? printer.flush()
            throw CommandFailure("\(printer.source): \(error)")
        }
        try printer.flush()
        printer.summarize(decoder.counters)
    }

    private static func dumpSocket(_ source: String, follow: Bool, to printer: inout RecordPrinter) async throws {
        var messages = MonitorClient(path: source, reconnects: follow).messages().makeAsyncIterator()
        var attached = false
        do {
            while let message = try await messages.next() {
                var done = false
                switch message {
                case .attached(let header, _):
                    attached = true
                    try printer.print(.header(header))
                case .event(let seq, let event):
                    try printer.print(.event(seq: seq, event))
                    // Without --follow: the snapshot and the stream up to the first heartbeat.
                    if !follow, attached, case .heartbeat = event.kind { done = true }
                case .diagnostic(let note):
                    try printer.print(.diagnostic(note))
                case .lines:
                    break  // only a client that passes lines through sends them
                case .disconnected(let loss):
                    try printer.flush()
                    reportToStandardError(loss.description)
                }
                if done { break }
                if !messages.hasBufferedMessages { try printer.flush() }
            }
        } catch let error as MonitorClientError {
            try? printer.flush()
            throw CommandFailure(error.message)
        }
        try printer.flush()
    }
}
