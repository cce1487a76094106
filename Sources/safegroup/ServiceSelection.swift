import GroupEvents
import MonitorClient

/// Picks the socket a command attaches to: the one given, the one of `--pid`, or the only
/// live service.
enum ServiceSelection {
    /// The socket path to use, or a failure that lists what there is to choose from.
    static func socket(explicit: String?, pid: Int32?) async throws(CommandFailure) -> String {
        if let explicit { return explicit }
        let live = ServiceDirectory.scan().filter { $0.state == .live }
        if let pid {
            if let match = live.first(where: { $0.pidFromPath == pid }) { return match.path }
            // A socket at a path of its own (SAFEGROUP_SOCKET) need not carry the pid in its
            // name: ask each live service for its header.
            let probes = await withTaskGroup(of: ServiceProbe.self) { group in
                for entry in live { group.addTask { await ServiceProbe.probe(entry, within: .seconds(3)) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            if let match = probes.first(where: { $0.pid == pid }) { return match.path }
            throw CommandFailure("no live service with pid \(pid)\(listing(live)); give its socket path instead")
        }
        switch live.count {
        case 1:
            return live[0].path
        case 0:
            throw CommandFailure("no live service found (\(ServiceDirectory.placesLookedIn())); start one, or give its socket path")
        default:
            throw CommandFailure("\(live.count) live services\(listing(live)); choose one with SOCKET or --pid")
        }
    }

    /// `: checkout pid 4242 (/tmp/…/checkout-4242.sock), …`, or nothing for no services.
    private static func listing(_ entries: [ServiceDirectory.Entry]) -> String {
        guard !entries.isEmpty else { return "" }
        let items = entries.map { entry in
            let name = entry.nameFromPath.map { TextSanitizer.sanitize($0) } ?? "?"
            return "\(name) pid \(entry.pidFromPath.map(String.init) ?? "?") (\(TextSanitizer.sanitize(entry.path)))"
        }
        return ": " + items.joined(separator: ", ")
    }
}
