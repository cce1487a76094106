import GroupEvents
import MonitorClient

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
                        case .lines, .diagnostic, .disconnected: break
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
            probe.read(header: header, heartbeat: beat)
        case .failure(let error):
            probe.note = error.message
        }
        return probe
    }

    /// Takes what a live service said: its header and first heartbeat (nil when none came).
    mutating func read(header: WireHeader?, heartbeat beat: Heartbeat?) {
        if let header {
            service = header.service
            pid = header.pid
        }
        // The count includes list's own connection.
        viewers = beat?.viewers.map { max(0, $0.subtractingSaturated(1)) }
        note = header == nil ? "no answer" : nil
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
