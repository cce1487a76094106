import ArgumentParser
import GroupEvents
import MonitorClient
import Glibc
import SystemCalls

/// `safegroup list [--json]`: this user's services, live and stale.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List this user's services: name, pid, socket, viewers; stale sockets are shown, never removed.",
        discussion: """
            Looks in $XDG_RUNTIME_DIR/safegroup/ (when private), /tmp/safegroup-<uid>/ and \
            SAFEGROUP_SOCKET. A socket whose lock no live process holds is stale: it is listed \
            as such and left alone (the next service started on that path replaces it). The \
            viewer count comes from the service's next heartbeat and does not count list itself. \
            Then, without --json, the black boxes left by processes that died (in \
            $XDG_STATE_HOME/safegroup/ or ~/.local/state/safegroup/): read one with 'safegroup \
            replay BOX' or 'dump BOX', copy it out with 'safegroup blackbox BOX'.
            """
    )

    @Argument(help: "A remote host's services instead of this one's: ssh://[user@]host[:port].")
    var remote: String?

    @Flag(name: .long, help: "Print a JSON array instead of a table.")
    var json = false

    /// How long to wait for a service's header and first heartbeat.
    static let probeTime: Duration = .seconds(3)

    func run() async throws {
        try await runReportingFailures {
            if let remote {
                try await listRemote(remote)
                return
            }
            let entries = ServiceDirectory.scan()
            let services = await withTaskGroup(of: (Int, ServiceProbe).self) { group in
                for (index, entry) in entries.enumerated() {
                    group.addTask { (index, await ServiceProbe.probe(entry, within: Self.probeTime)) }
                }
                var probes = [ServiceProbe?](repeating: nil, count: entries.count)
                for await (index, probe) in group { probes[index] = probe }
                return probes.compactMap { $0 }
            }
            try print(services, none: "no services (\(ServiceDirectory.placesLookedIn()))", blackBoxes: !json)
        }
    }

    /// The services as a table or JSON; with `blackBoxes`, then the boxes left by processes that died.
    private func print(_ services: [ServiceProbe], none: String, blackBoxes: Bool = false) throws(PosixError) {
        var out = OutputStream.standardOutput
        if json {
            try out.appendLine("[" + services.map(\.json).joined(separator: ",\n ") + "]")
        } else if services.isEmpty {
            try out.appendLine(none)
        } else {
            for line in table(services) { try out.appendLine(line) }
        }
        if blackBoxes {
            let boxes = BlackBoxFiles.scan()
            if !boxes.isEmpty {
                try out.appendLine("")
                for line in Self.blackBoxTable(boxes) { try out.appendLine(line) }
            }
        }
        try out.flush()
    }

    /// The remote's sockets, each live one probed through an ssh forward of its own; their
    /// paths are shown as the ssh:// addresses that attach to them.
    private func listRemote(_ address: String) async throws {
        let remote: RemoteService
        let entries: [ServiceDirectory.Entry]
        do throws(RemoteServiceError) {
            remote = try RemoteService(parsing: address)
            guard remote.socketPath == nil else {
                throw RemoteServiceError("list takes a host, not a socket: \(TextSanitizer.sanitize(remote.hostAddress))")
            }
            entries = try await RemoteDirectory.scan(remote)
        } catch {
            throw CommandFailure(error.message)
        }
        var services: [ServiceProbe] = []
        for entry in entries {
            let address = remote.at(entry.path)
            var probe: ServiceProbe
            if entry.state == .live {
                do throws(RemoteServiceError) {
                    let tunnel = try await SSHTunnel.open(address)
                    defer { tunnel.close() }
                    var local = entry
                    local.path = tunnel.localPath
                    probe = await ServiceProbe.probe(local, within: Self.probeTime)
                } catch {
                    probe = ServiceProbe(path: entry.path, service: entry.nameFromPath, pid: entry.pidFromPath,
                                         viewers: nil, live: true, note: error.message)
                }
            } else {
                probe = await ServiceProbe.probe(entry, within: Self.probeTime)
            }
            probe.path = address.description
            services.append(probe)
        }
        try print(services, none: "no services on \(TextSanitizer.sanitize(remote.host)) (looked in $XDG_RUNTIME_DIR/safegroup and /tmp/safegroup-<uid> there)")
    }

    /// The black boxes left by processes that died: service, pid, when its last event was, size, how it ended.
    static func blackBoxTable(_ boxes: [BlackBoxFiles.Entry]) -> [String] {
        let rows = [["BLACK BOX", "PID", "LAST EVENT", "SIZE", "ENDED", "FILE"]] + boxes.map { box in
            [box.header.map { TextSanitizer.sanitize($0.service) } ?? "?", String(box.image.pid),
             box.lastEventUnixNanoseconds.map(utcText) ?? "-", sizeText(box.image.lines.count), box.outcome,
             TextSanitizer.sanitize(box.path)]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<5).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }.joined(separator: "  ")
                + "  " + row[5]
        }
    }

    /// `2026-12-03 07:01:39Z`.
    static func utcText(_ unixNanoseconds: Int64) -> String {
        var seconds = time_t(unixNanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// `812 KiB`, `7.9 MiB`.
    static func sizeText(_ bytes: Int) -> String {
        bytes < 1 << 20 ? "\((bytes + 1023) >> 10) KiB" : "\(Double(bytes * 10 >> 20) / 10) MiB"
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
