import ArgumentParser
import Dashboard
import GroupEvents
import MonitorClient
import Synchronization
import Glibc
import SystemCalls

/// `safegroup dump SOURCE [--json] [--follow]`.
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a recorded file or a live socket's stream, one sanitized line per event.",
        discussion: """
            SOURCE is a file written by 'safegroup record' (or SAFEGROUP_RECORD), a black box \
            (see 'safegroup list'), or a service's socket. Text from the stream is untrusted: control characters, escape sequences and \
            bidi controls are shown as visible escapes such as \\u{1B}, never passed through. \
            With --json, prints canonical NDJSON (docs/PROTOCOL.md) for jq, with DEL, C1 and bidi \
            characters as \\u escapes so that it is safe on a terminal too. Malformed lines are \
            reported on standard error with their line numbers and skipped; a summary follows. \
            Without --follow, a socket is read up to its first heartbeat (the snapshot and what \
            happened meanwhile); with --follow, a file is tailed and a socket is followed, across \
            service restarts, until SIGINT.
            """
    )

    @Argument(help: "A recorded file, a service's socket path, or a remote service: ssh://[user@]host[:port][/path/to/socket].", completion: LiveSocketCompletion.kind)
    var source: String

    @Flag(name: .long, help: "Print canonical NDJSON instead of text.")
    var json = false

    @Flag(name: .long, help: "Keep reading: tail a file as it grows, follow a socket across restarts.")
    var follow = false

    @Flag(name: .long, help: "Print per-site statistics and warnings instead of events (from a file's last session, or a socket for --seconds).")
    var sites = false

    @Option(name: .long, help: ArgumentHelp("With --sites: the column to sort by (\(SiteColumn.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "column"))
    var sort: String = SiteColumn.faultRate.rawValue

    @Flag(name: .long, help: "With --sites: reverse the order (smallest first; the site column Z to A).")
    var reverse = false

    @Option(name: .long, help: "With --sites on a socket: how long to watch, in seconds.")
    var seconds: Int = 10

    @OptionGroup var warnings: WarningOptions

    func validate() throws {
        if SiteColumn(rawValue: sort) == nil {
            throw ValidationError("--sort: unknown column '\(sort)' (known: \(SiteColumn.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if sites && follow { throw ValidationError("--sites prints one report: it does not take --follow (use --seconds for a socket)") }
        if seconds < 1 { throw ValidationError("--seconds must be at least 1") }
    }

    /// How often a followed file is checked for growth.
    static let pollInterval: Duration = .milliseconds(200)

    func run() async throws {
        try await runReportingFailures {
            if RemoteService.isRemote(source) {
                let tunnel = try await RemoteSelection.open(source, pick: false)
                defer { tunnel.close() }
                let (json, follow, name) = (self.json, self.follow, tunnel.remote.description)
                let signal = try await Self.interruptible {
                    var printer = RecordPrinter(json: json, source: TextSanitizer.sanitize(name))
                    try await Self.dumpSocket(tunnel.localPath, follow: follow, to: &printer)
                }
                if let signal, !follow { throw ExitCode(128 + signal) }
                return
            }
            guard let type = try Posix.fileType(source) else {
                throw CommandFailure("cannot read \(TextSanitizer.sanitize(source)): no such file or socket")
            }
            if type == S_IFDIR {
                throw CommandFailure("cannot read \(TextSanitizer.sanitize(source)): it is a directory (give a recorded file or a socket)")
            }
            if sites {
                let model = try await SiteReport.collect(source, isSocket: type == S_IFSOCK, seconds: seconds, warnings: try warnings.kinds())
                var output = OutputStream(fd: 1, name: "standard output")
                for line in SiteReport.lines(of: model, sort: SiteColumn(rawValue: sort)!, reversed: reverse, json: json) {
                    try output.appendLine(line)
                }
                try output.flush()
                return
            }
            let (source, json, follow) = (self.source, self.json, self.follow)
            // SIGINT and SIGTERM end the dump cleanly: what was read is printed, with the summary.
            let signal = try await Self.interruptible {
                var printer = RecordPrinter(json: json, source: TextSanitizer.sanitize(source))
                if type == S_IFSOCK {
                    try await Self.dumpSocket(source, follow: follow, to: &printer)
                } else if type == S_IFREG, let recording = try BlackBoxRecording.openAsRecording(source) {
                    // A black box: its recording, once (a dead process's box does not grow).
                    try await Self.dumpFile(recording, follow: false, to: &printer)
                } else {
                    try await Self.dumpFile(source, follow: follow, to: &printer)
                }
            }
            // Following ends with a signal; a plain dump cut short says so in its status.
            if let signal, !follow { throw ExitCode(128 + signal) }
        }
    }

    /// Runs `body` in a task that SIGINT and SIGTERM cancel; returns the signal, if one came.
    private static func interruptible(_ body: @escaping @Sendable () async throws -> Void) async throws -> Int32? {
        let signals = SignalWatcher()
        let caught = SignalBox()
        let work = Task { try await body() }
        let watcher = Task {
            guard let signal = await signals.next() else { return }
            caught.signal.store(signal, ordering: .relaxed)
            work.cancel()
        }
        defer { watcher.cancel() }
        try await work.value
        let signal = caught.signal.load(ordering: .relaxed)
        return signal == 0 ? nil : signal
    }

    private final class SignalBox: Sendable {
        let signal = Atomic<Int32>(0)
    }

    private static func dumpFile(_ source: String, follow: Bool, to printer: inout RecordPrinter) async throws {
        var fd = try Posix.openForReading(source)
        defer { Posix.close(fd) }
        var decoder = WireDecoder()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        // Bytes read from the file open now: a followed file shorter than that was truncated.
        var offset: Int64 = 0
        do {
            while true {
                let count = try buffer.withUnsafeMutableBytes { (raw) throws(PosixError) -> Int in
                    try Posix.read(fd, into: raw, subject: source)
                }
                if count > 0 {
                    offset += Int64(count)
                    try decoder.feed(buffer[..<count])
                    try printer.printAll(from: &decoder)
                    if Task.isCancelled { break }
                    continue
                }
                guard follow, !Task.isCancelled else { break }
                // Recorded again (`record -o` truncates it) or replaced by another file: the old
                // offset means nothing in the new one. Start over from its first line.
                if let change = try recordedAgain(fd, source, offset: offset) {
                    try printer.printAll(from: &decoder)
                    try printer.flush()
                    reportToStandardError("\(printer.source) was \(change): reading it again from the start")
                    let reopened = try Posix.openForReading(source)
                    Posix.close(fd)
                    fd = reopened
                    offset = 0
                    decoder = WireDecoder()
                    continue
                }
                try printer.flush()
                try? await Task.sleep(for: pollInterval)
                if Task.isCancelled { break }
            }
            // A followed file stopped by SIGINT may end in a line still being written, and an
            // interrupted dump stopped in the middle of the file: neither is torn.
            if !follow && !Task.isCancelled { try decoder.finish() }
            try printer.printAll(from: &decoder)
        } catch let error as WireFormatError {
            try? printer.printAll(from: &decoder)
            try? printer.flush()
            throw CommandFailure("\(printer.source): \(error)")
        }
        try printer.flush()
        if Task.isCancelled && !follow { reportToStandardError("\(printer.source): interrupted before its end") }
        printer.summarize(decoder.counters)
    }

    /// "truncated" when the open file is shorter than what was read of it, "replaced" when the
    /// path leads to another file now; nil otherwise (or when the path leads nowhere for now).
    private static func recordedAgain(_ fd: Int32, _ path: String, offset: Int64) throws(PosixError) -> String? {
        let open = try Posix.identity(of: fd, subject: path)
        guard let current = try Posix.identity(of: path) else { return nil }
        if !current.isSameFile(as: open) { return "replaced" }
        return open.size < offset ? "truncated" : nil
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
