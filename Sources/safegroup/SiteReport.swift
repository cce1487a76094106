import Dashboard
import GroupEvents
import GroupHealth
import MonitorClient
import SystemCalls

/// `safegroup dump SOURCE --sites [--json] [--sort COLUMN] [--reverse]`: the sites view for
/// scripts, one row per spawn site of the source's last session, then its active warnings.
enum SiteReport {
    /// Reads a recorded file to its end, or a socket for `seconds`, into a ``HealthModel``.
    static func collect(_ source: String, isSocket: Bool, seconds: Int, warnings: Set<WarningKind>) async throws -> HealthModel {
        var configuration = HealthConfiguration()
        configuration.enabled = warnings
        var model = HealthModel(configuration: configuration)
        func take(_ record: WireRecord) {
            switch record {
            case .header: model = HealthModel(configuration: configuration)  // a new session starts afresh
            case .event(_, let event): model.apply(event)
            case .diagnostic: break
            }
        }
        if isSocket {
            let deadline = Posix.monotonicNanoseconds() + UInt64(seconds) * 1_000_000_000
            let reader = Task {
                var collected: [WireRecord] = []
                var messages = MonitorClient(path: source, reconnects: false).messages().makeAsyncIterator()
                do {
                    while !Task.isCancelled, let message = try await messages.next() {
                        switch message {
                        case .attached(let header, _): collected.append(.header(header))
                        case .event(let seq, let event): collected.append(.event(seq: seq, event))
                        case .diagnostic, .lines, .disconnected: break
                        }
                        if Posix.monotonicNanoseconds() >= deadline { break }
                    }
                } catch let error as MonitorClientError {
                    throw CommandFailure(error.message)
                }
                return collected
            }
            // Heartbeats come every second, so the loop sees its deadline; a silent service is cut here.
            let timer = Task {
                try? await Task.sleep(for: .seconds(seconds + 2))
                reader.cancel()
            }
            defer { timer.cancel() }
            for record in try await reader.value { take(record) }
        } else {
            let fd = try Posix.openForReading(source)
            defer { Posix.close(fd) }
            var decoder = WireDecoder()
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            do {
                while true {
                    let count = try buffer.withUnsafeMutableBytes { (raw) throws(PosixError) -> Int in
                        try Posix.read(fd, into: raw, subject: source)
                    }
                    if count == 0 { break }
                    try decoder.feed(buffer[..<count])
                    while let record = decoder.next() { take(record) }
                }
                try decoder.finish()
                while let record = decoder.next() { take(record) }
            } catch let error as WireFormatError {
                throw CommandFailure("\(TextSanitizer.sanitize(source)): \(error)")
            }
        }
        model.evaluate()  // the summaries as of the last event
        return model
    }

    /// The report's lines: a heading and a row per site (text), or one JSON object per site
    /// and per warning (`--json`).
    static func lines(of model: HealthModel, sort: SiteColumn, reversed: Bool, json: Bool) -> [String] {
        let sites = sort.sorted(model.sites, reversed: reversed)
        if json {
            return sites.map(jsonLine) + model.warnings.map(jsonLine)
        }
        let columns = SiteColumn.allCases
        let siteWidth = max(4, sites.map { DisplayWidth.of($0.site) }.max() ?? 4)
        func row(_ cells: [String]) -> String {
            var line = cells[0] + String(repeating: " ", count: max(0, siteWidth - DisplayWidth.of(cells[0])))
            for cell in cells.dropFirst() {
                let width = 9
                line += " " + String(repeating: " ", count: max(0, width - cell.count)) + cell
            }
            return line
        }
        var lines = [row(columns.map(\.title))]
        lines += sites.map { site in row(columns.map { $0.text(of: site) }) }
        var notes: [String] = []
        if model.evictedSites > 0 { notes.append("\(model.evictedSites) sites evicted (over \(model.configuration.maxSites))") }
        if model.untrackedTasks > 0 { notes.append("\(model.untrackedTasks) children not tracked") }
        if !notes.isEmpty { lines.append("(" + notes.joined(separator: "; ") + ")") }
        lines.append(model.warnings.isEmpty ? "no warnings" : "\(model.warnings.count) warning\(model.warnings.count == 1 ? "" : "s"):")
        lines += model.warnings.map { "  ⚠ \($0.summary)" }
        return lines
    }

    /// `{"site":"Checkout/Handler.swift:57","started":3,…,"p99Ns":212000000,…}`
    static func jsonLine(_ site: SiteStatistics) -> String {
        let s = site.summary
        let fields: [(String, String)] = [
            ("site", JSONText.quoted(site.site)), ("started", "\(site.started)"), ("running", "\(site.running)"),
            ("waiting", "\(site.waiting)"), ("ok", "\(site.ok)"), ("failed", "\(site.failed)"), ("timedOut", "\(site.timedOut)"),
            ("cancelled", "\(site.cancelled)"), ("crashed", "\(site.crashed)"),
            ("faultRate", s.recentEnds == 0 ? "null" : "\(s.faultRate)"), ("recentEnds", "\(s.recentEnds)"),
            ("durations", "\(s.durations.count)"), ("p50Ns", "\(s.durations.p50)"), ("p90Ns", "\(s.durations.p90)"),
            ("p99Ns", "\(s.durations.p99)"), ("maxNs", "\(s.durations.max)"),
            ("waits", "\(s.waits.count)"), ("waitP90Ns", "\(s.waits.p90)"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// `{"warning":"stuck","task":42,"site":"…","sinceNs":…,"firedNs":…,"detail":"…"}`
    static func jsonLine(_ warning: HealthWarning) -> String {
        let subject = switch warning.subject {
        case .task(let id): "\"task\":\(id.rawValue)"
        case .group(let id): "\"group\":\(id.rawValue)"
        case .site: "\"subject\":\"site\""
        }
        return "{\"warning\":\(JSONText.quoted(warning.kind.rawValue)),\(subject),\"site\":\(JSONText.quoted(warning.site)),"
            + "\"sinceNs\":\(warning.since.rawValue),\"firedNs\":\(warning.firedAt.rawValue),\"detail\":\(JSONText.quoted(warning.detail))}"
    }
}
