import ArgumentParser
import GroupEvents
import GroupMonitor

/// `safegroup list [--json]`: this user's services, live and stale.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List this user's services: name, pid, socket, viewers; stale sockets are shown, never removed.",
        discussion: """
            Looks in $XDG_RUNTIME_DIR/safegroup/ (when private), /tmp/safegroup-<uid>/ and \
            SAFEGROUP_SOCKET. A socket whose lock no live process holds is stale: it is listed \
            as such and left alone (the next service started on that path replaces it). The \
            viewer count comes from the service's next heartbeat and does not count list itself.
            """
    )

    @Flag(name: .long, help: "Print a JSON array instead of a table.")
    var json = false

    /// How long to wait for a service's header and first heartbeat.
    static let probeTime: Duration = .seconds(3)

    func run() async throws {
        try await runReportingFailures {
            let entries = ServiceDirectory.scan()
            let services = await withTaskGroup(of: (Int, ServiceProbe).self) { group in
                for (index, entry) in entries.enumerated() {
                    group.addTask { (index, await ServiceProbe.probe(entry, within: Self.probeTime)) }
                }
                var probes = [ServiceProbe?](repeating: nil, count: entries.count)
                for await (index, probe) in group { probes[index] = probe }
                return probes.compactMap { $0 }
            }
            var out = OutputStream.standardOutput
            if json {
                try out.appendLine("[" + services.map(\.json).joined(separator: ",\n ") + "]")
            } else if services.isEmpty {
                let places = ServiceDirectory.directories().joined(separator: ", ")
                try out.appendLine("no services (looked in \(places))")
            } else {
                try table(services).forEach { line throws(SystemError) in try out.appendLine(line) }
            }
            try out.flush()
        }
    }

    private func table(_ services: [ServiceProbe]) -> [String] {
        let rows = [["SERVICE", "PID", "VIEWERS", "STATE", "SOCKET"]] + services.map { s in
            [s.service.map(TextSanitizer.sanitize) ?? "?", s.pid.map(String.init) ?? "?",
             s.viewers.map(String.init) ?? "-", s.stateText, TextSanitizer.sanitize(s.path)]
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<4).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }.joined(separator: "  ")
                + "  " + row[4]
        }
    }
}

/// What `list` learned about one socket: from its file name, its lock, and for a live one,
/// its header and first heartbeat.
struct ServiceProbe: Sendable {
    var path: String
    var service: String?
    var pid: Int32?
    /// Other viewers attached (list's own connection not counted); nil when unknown.
    var viewers: Int?
    var live: Bool
    /// Why it is stale, or why a live one could not be read.
    var note: String?

    var stateText: String {
        if live { return note == nil ? "live" : "live (\(note!))" }
        return "stale (\(note ?? "no live process"))"
    }

    /// Reads the header and the first heartbeat of a live socket, for at most `limit`.
    static func probe(_ entry: ServiceDirectory.Entry, within limit: Duration) async -> ServiceProbe {
        var probe = ServiceProbe(path: entry.path, service: entry.nameFromPath, pid: entry.pidFromPath,
                                 viewers: nil, live: true, note: nil)
        if case .stale(let reason) = entry.state {
            probe.live = false
            probe.note = reason
            return probe
        }
        let client = MonitorClient(path: entry.path, reconnects: false, silenceTimeout: limit)
        let outcome: Result<(WireHeader?, Heartbeat?), MonitorClientError> = await withTaskGroup(of: Result<(WireHeader?, Heartbeat?), MonitorClientError>?.self) { group in
            group.addTask {
                var header: WireHeader?
                var messages = client.messages().makeAsyncIterator()
                do throws(MonitorClientError) {
                    while let message = try await messages.next() {
                        switch message {
                        case .attached(let h, _): header = h
                        case .event(_, let event):
                            if case .heartbeat(let beat) = event.kind { return .success((header, beat)) }
                        case .diagnostic, .disconnected: break
                        }
                    }
                    return .success((header, nil))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .success((nil, nil))
        }
        switch outcome {
        case .success(let (header, beat)):
            if let header {
                probe.service = header.service
                probe.pid = header.pid
            }
            // The count includes list's own connection.
            probe.viewers = beat?.viewers.map { max(0, $0 - 1) }
            if header == nil { probe.note = "no answer" }
        case .failure(let error):
            probe.note = error.message
        }
        return probe
    }

    /// `{"service":…,"pid":…,"socket":…,"state":"live","viewers":0}`.
    var json: String {
        var fields = ["\"service\":" + (service.map(JSONText.quoted) ?? "null"),
                      "\"pid\":" + (pid.map(String.init) ?? "null"),
                      "\"socket\":" + JSONText.quoted(path),
                      "\"state\":" + JSONText.quoted(live ? "live" : "stale"),
                      "\"viewers\":" + (viewers.map(String.init) ?? "null")]
        if let note { fields.append("\"note\":" + JSONText.quoted(note)) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// JSON string literals for `list --json`.
enum JSONText {
    /// `text` as a JSON string: quotes, backslashes and every control character escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || TextSanitizer.needsEscape(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
