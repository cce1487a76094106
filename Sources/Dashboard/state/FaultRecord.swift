import GroupEvents

/// A recorded fault, sanitized for display.
public struct FaultRecord: Hashable, Sendable {
    /// One frame of the stack snippet: the symbol and `file:line` (empty when unknown).
    public struct Frame: Hashable, Sendable {
        public var symbol: String
        public var location: String
        /// Whether the frame is in the service's own code, which the detail pane highlights:
        /// it has a source file, and that file is not a dependency's checkout, the toolchain's
        /// or compiler-generated. Frames of libraries built without line tables have no file.
        public var isUserCode: Bool

        init(symbol: String, location: String, file: String?) {
            self.symbol = symbol
            self.location = location
            self.isUserCode = file.map(Self.isUserFile) ?? false
        }

        static func isUserFile(_ path: String) -> Bool {
            // The standard library's generics inlined into the service keep the toolchain's own
            // build paths (…/swift/stdlib/public/…, …/swift-corelibs-…).
            let library = ["/.build/checkouts/", "/SourcePackages/checkouts/", "/usr/lib/", "/usr/include/",
                           "/opt/swift/", "<compiler-generated>", "/swift/stdlib/", "/swift-corelibs-"]
            return !path.isEmpty && !library.contains { path.contains($0) }
        }
    }

    /// One step of the fault's spawn chain (``SpawnChain``), as the detail pane shows it:
    /// `spawned at` for a child, `opened at` for a group.
    public struct ChainLink: Hashable, Sendable {
        public enum Kind: Hashable, Sendable { case task, group }
        public var kind: Kind
        /// `t42` or `g3`.
        public var id: String
        /// The sanitized name; empty when the stream never said it.
        public var name: String
        /// `file:line`; empty when the stream never said it (the chain stops there).
        public var site: String
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
    /// The message's lines, each sanitized: a nested group's faults come one per line.
    public var messageLines: [String]
    public var startedAt: MonotonicTime
    public var endedAt: MonotonicTime
    public var stackOrigin: String
    public var stack: [Frame]
    public var signal: Int32?
    /// How the child came to run, from its own spawn up to a root group; set by the model,
    /// which knows the tree, when the fault arrives.
    public var chain: [ChainLink] = []

    /// The most lines of a message the detail pane keeps.
    static let maxMessageLines = 64

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
        // "\r\n" is one Character: split on it as on "\n".
        var lines = info.message.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if lines.last?.isEmpty == true, lines.count > 1 { lines.removeLast() }
        var kept = lines.prefix(Self.maxMessageLines).map { TextSanitizer.sanitize(String($0)) }
        if lines.count > Self.maxMessageLines { kept.append("… \(lines.count - Self.maxMessageLines) more lines") }
        self.messageLines = kept
        self.startedAt = info.startedAt
        self.endedAt = info.endedAt
        self.stackOrigin = TextSanitizer.sanitize(info.stackOrigin.rawValue)
        // The wire caps a stack at 32 frames; a reader keeps the first 32 whatever it is sent.
        self.stack = info.stack.prefix(WireFormat.maxStackFrames).map { frame in
            let location = frame.file.map { "\(TextSanitizer.sanitize($0)):\(frame.line)" } ?? ""
            return Frame(symbol: TextSanitizer.sanitize(frame.symbol), location: location, file: frame.file)
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
