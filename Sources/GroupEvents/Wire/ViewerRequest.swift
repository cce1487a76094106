/// A line a viewer writes on its socket to ask the service to act (since wire 1.5):
/// `{"request":1,"action":"cancel","task":42}` or `{"request":2,"action":"cancel","group":3}`.
///
/// The service answers every request with a `viewer.action` event in its stream, naming the
/// viewer's process id and echoing `request`: `result` is `cancelled` or `refused` (with a
/// `reason`). docs/PROTOCOL.md has the format, docs/MONITOR.md the threat model.
public struct ViewerRequest: Hashable, Sendable {
    /// The viewer's number for the request (echoed in the answer).
    public var request: UInt64
    /// `cancel` is the only action; another word is refused as unknown.
    public var action: String
    public var target: ViewerAction.Target?

    /// The longest request line a service reads; a longer one is refused unread.
    public static let maxLineBytes = 512

    public init(request: UInt64, action: String = "cancel", target: ViewerAction.Target?) {
        self.request = request
        self.action = action
        self.target = target
    }

    /// The request as one line, newline included.
    public var line: [UInt8] {
        var text = "{\"request\":\(request),\"action\":"
        var output = Array(text.utf8)
        output += JSONString.quoted(String(action.prefix(64)))
        text = ""
        switch target {
        case .task(let id)?: text = ",\"task\":\(id.rawValue)"
        case .group(let id)?: text = ",\"group\":\(id.rawValue)"
        case nil: break
        }
        output += Array((text + "}\n").utf8)
        return output
    }

    /// Reads a request line (without its newline), or says in a few words why it cannot:
    /// the service then refuses it with that reason (and `request` 0 when it had none).
    public static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Result<ViewerRequest, ViewerRequestError> {
        guard line.count <= maxLineBytes else { return .failure(ViewerRequestError(reason: "request longer than \(maxLineBytes) bytes")) }
        guard let base = line.baseAddress else { return .failure(ViewerRequestError(reason: "empty request")) }
        var scanner = JSONScanner(base: base, count: line.count)
        var request: UInt64?
        var action: String?
        var task: UInt64?
        var group: UInt64?
        do throws(LineFailure) {
            scanner.skipWhitespace()
            try scanner.readObject(depth: 1) { (s, key) throws(LineFailure) in
                switch WireField(key: key) {
                case .request?: request = try s.readInteger(as: UInt64.self)
                case .action?: action = try s.readString()
                case .task?: task = try s.readInteger(as: UInt64.self)
                case .group?: group = try s.readInteger(as: UInt64.self)
                default: try s.skipValue(depth: 2)
                }
            }
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw scanner.failure("unexpected text after the object") }
        } catch {
            return .failure(ViewerRequestError(request: request ?? 0, reason: "unreadable request: \(error.reason)"))
        }
        guard let request else { return .failure(ViewerRequestError(reason: "request without a 'request' number")) }
        guard let action else { return .failure(ViewerRequestError(request: request, reason: "request without an 'action'")) }
        let target: ViewerAction.Target? = task.map { .task(TaskID($0)) } ?? group.map { .group(GroupID($0)) }
        return .success(ViewerRequest(request: request, action: action, target: target))
    }
}

/// Why a request line could not be read: the service refuses it with this reason.
public struct ViewerRequestError: Error, Hashable, Sendable {
    public var request: UInt64 = 0
    public var reason: String
}
