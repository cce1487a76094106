import GroupEvents

/// A service on another host, reached through the user's own `ssh`:
/// `ssh://[user@]host[:port][/path/to/socket]`.
///
/// Without a path, the remote's services are listed (``RemoteDirectory``) and chosen from as
/// locally; with one, that socket is attached to. Nothing of ours listens on a TCP port: the
/// remote socket is forwarded to a local one by `ssh -L` (``SSHTunnel``).
public struct RemoteService: Hashable, Sendable, CustomStringConvertible {
    /// What ssh connects to: `host` or `user@host`.
    public var destination: String
    /// The port, when the address names one (else ssh's config or 22).
    public var port: Int?
    /// The remote socket's absolute path, when the address names one.
    public var socketPath: String?

    public init(destination: String, port: Int? = nil, socketPath: String? = nil) {
        self.destination = destination
        self.port = port
        self.socketPath = socketPath
    }

    /// The scheme that marks a remote service.
    public static let scheme = "ssh://"

    /// Whether `text` names a remote service (starts with `ssh://`).
    public static func isRemote(_ text: String) -> Bool { text.hasPrefix(scheme) }

    /// Parses `ssh://[user@]host[:port][/path]`; throws a one-line error naming what is wrong.
    public init(parsing text: String) throws(RemoteServiceError) {
        guard text.hasPrefix(Self.scheme) else {
            throw RemoteServiceError("'\(TextSanitizer.sanitize(text))' is not an ssh:// address (expected ssh://[user@]host[:port][/path/to/socket])")
        }
        let rest = text.dropFirst(Self.scheme.count)
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = String(rest[slash...])
            socketPath = path == "/" ? nil : path
        } else {
            authority = rest
            socketPath = nil
        }
        var host = authority
        port = nil
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let portText = authority[authority.index(after: colon)...]
            guard let number = Int(portText), (1...65_535).contains(number) else {
                throw RemoteServiceError("'\(TextSanitizer.sanitize(text))': the port '\(TextSanitizer.sanitize(String(portText)))' is not a number from 1 to 65535")
            }
            port = number
            host = authority[..<colon]
        }
        let hostPart = host.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).last ?? ""
        guard !hostPart.isEmpty else {
            throw RemoteServiceError("'\(TextSanitizer.sanitize(text))' names no host (expected ssh://[user@]host[:port][/path/to/socket])")
        }
        // Never an option to ssh, nor anything a shell or ssh would read specially.
        guard !host.hasPrefix("-"), host.allSatisfy({ $0.isLetter || $0.isNumber || "@._-[]:%".contains($0) }) else {
            throw RemoteServiceError("'\(TextSanitizer.sanitize(text))': the host '\(TextSanitizer.sanitize(String(host)))' has characters a host name cannot have")
        }
        destination = String(host)
        if let socketPath, socketPath.contains(where: { $0.isNewline || $0 == "\0" }) {
            throw RemoteServiceError("'\(TextSanitizer.sanitize(text))': the socket path has a line break")
        }
    }

    /// The host, for messages: the destination without the user.
    public var host: String { String(destination.split(separator: "@").last ?? Substring(destination)) }

    /// `ssh://user@host:port/path`.
    public var description: String { hostAddress + (socketPath ?? "") }

    /// `ssh://user@host:port`: the host's address, which `safegroup list` takes.
    public var hostAddress: String { Self.scheme + destination + (port.map { ":\($0)" } ?? "") }

    /// The same service at `path` on the remote.
    public func at(_ path: String) -> RemoteService {
        RemoteService(destination: destination, port: port, socketPath: path)
    }
}

/// Why a remote service could not be reached, listed or attached to: one line, naming the host
/// and the way out.
public struct RemoteServiceError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
