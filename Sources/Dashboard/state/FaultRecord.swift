import GroupEvents

/// A recorded fault, sanitized for display.
public struct FaultRecord: Hashable, Sendable {
    /// One frame of the stack snippet: the symbol and `file:line` (empty when unknown).
    public struct Frame: Hashable, Sendable {
        public var symbol: String
        public var location: String
    }

    /// The fault's place in arrival order, 0 for the first one of the session; stable while
    /// older faults are evicted.
    public let number: Int
    public var task: TaskID
    public var taskName: String
    public var group: GroupID
    public var groupName: String
    public var site: String
    public var kind: FaultKind
    public var errorType: String
    public var message: String
    public var startedAt: MonotonicTime
    public var endedAt: MonotonicTime
    public var stackOrigin: String
    public var stack: [Frame]
    public var signal: Int32?

    init(number: Int, _ info: FaultInfo) {
        self.number = number
        self.task = info.task
        self.taskName = TextSanitizer.sanitize(info.taskName)
        self.group = info.group
        self.groupName = TextSanitizer.sanitize(info.groupName)
        self.site = SiteText.of(info.site)
        self.kind = info.kind
        self.errorType = TextSanitizer.sanitize(info.errorType)
        self.message = TextSanitizer.sanitize(info.message)
        self.startedAt = info.startedAt
        self.endedAt = info.endedAt
        self.stackOrigin = TextSanitizer.sanitize(info.stackOrigin)
        // The wire caps a stack at 32 frames; a reader keeps the first 32 whatever it is sent.
        self.stack = info.stack.prefix(WireFormat.maxStackFrames).map { frame in
            let location = frame.file.map { "\(TextSanitizer.sanitize($0)):\(frame.line)" } ?? ""
            return Frame(symbol: TextSanitizer.sanitize(frame.symbol), location: location)
        }
        self.signal = info.signal
    }

    /// One line: `ErrorType: message`, or the kind when there is no type.
    public var summary: String {
        let head = errorType.isEmpty ? kind.rawValue : Self.shortType(errorType)
        return message.isEmpty ? head : "\(head): \(message)"
    }

    /// `Checkout.PaymentError` → `PaymentError`: the module path takes room and says little.
    static func shortType(_ type: String) -> String {
        guard let dot = type.lastIndex(of: "."), type.index(after: dot) < type.endIndex else { return type }
        return String(type[type.index(after: dot)...])
    }
}

/// A ``SourceSite`` as sanitized `file:line` text.
enum SiteText {
    static func of(_ site: SourceSite) -> String {
        "\(TextSanitizer.sanitize(site.file)):\(site.line)"
    }
}
