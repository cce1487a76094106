import ArgumentParser
import MonitorClient

/// Shell completion of a SOCKET argument: the socket paths of this user's live services, as
/// `safegroup list` finds them (stale sockets are left out: nothing would answer there).
enum LiveSocketCompletion {
    static let kind = CompletionKind.custom { _, _, prefix in
        ServiceDirectory.scan()
            .filter { $0.state == .live && $0.path.hasPrefix(prefix) }
            .map(\.path)
    }
}
