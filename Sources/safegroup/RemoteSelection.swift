import GroupEvents
import MonitorClient

/// A remote service (`ssh://[user@]host[:port][/path]`) for attach, record, dump and list: its
/// socket chosen as locally (the one named, the only live one, or the user's pick), forwarded
/// through the user's own `ssh` to a local socket that the command then reads like any other.
enum RemoteSelection {
    /// The remote's socket to use, and the tunnel that forwards it (close it when done).
    ///
    /// - Parameter pick: whether several live services may be offered in a numbered prompt
    ///   (attach), rather than listed in the error (record, dump).
    static func open(_ address: String, pick: Bool) async throws(CommandFailure) -> SSHTunnel {
        do throws(RemoteServiceError) {
            var remote = try RemoteService(parsing: address)
            let entries = try await RemoteDirectory.scan(remote)
            if remote.socketPath == nil {
                let live = entries.filter { $0.state == .live }
                switch live.count {
                case 0:
                    throw RemoteServiceError("no live service on \(TextSanitizer.sanitize(remote.host)) (looked in $XDG_RUNTIME_DIR/safegroup and /tmp/safegroup-<uid> there); start one, or give its socket: \(remote)/path/to/socket")
                case 1:
                    remote = remote.at(live[0].path)
                default:
                    if pick, let chosen = ServicePicker.pick(from: live, on: remote.description) {
                        remote = remote.at(chosen)
                    } else {
                        let names = live.map { "\(remote.at($0.path))" }.map(TextSanitizer.sanitize).joined(separator: ", ")
                        throw RemoteServiceError("\(live.count) live services on \(TextSanitizer.sanitize(remote.host)): \(names); choose one")
                    }
                }
            } else if case .stale(let reason)? = entries.first?.state {
                throw RemoteServiceError("no service on \(TextSanitizer.sanitize(remote.host)) at \(TextSanitizer.sanitize(remote.socketPath!)): the socket is stale (\(reason))")
            }
            return try await SSHTunnel.open(remote)
        } catch {
            throw CommandFailure(error.message)
        }
    }
}
