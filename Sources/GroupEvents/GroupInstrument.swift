/// Code that runs around a group's scope and around each of its children, inside their tasks.
///
/// What a tracer needs to open a span per group and per child so that the work a child does
/// (its HTTP and database clients' spans) nests under the child's span: an ``EventSink`` only
/// sees events after the fact, on no particular task, and cannot bind a task-local for the
/// child's work. SafeGroup calls it only for a group whose sink is an ``InstrumentedEventSink``
/// with an instrument; for every other group the cost is one branch per child.
///
/// The core knows nothing of spans: `SafeGroupTracing` implements this with
/// swift-distributed-tracing. Each method must run `body` exactly once and return its result.
public protocol GroupInstrument: Sendable {
    /// Runs a group's scope, from before its first child is spawned until after its
    /// `group.closed` event; the children are created inside `body`, so they inherit the
    /// task-locals it binds.
    func withGroup<Result>(_ group: InstrumentedGroup, isolation: isolated (any Actor)?,
                           _ body: () async -> Result) async -> Result

    /// Runs a child's work, inside the child's task, after its `task.started` event.
    func withChild<Result>(_ child: InstrumentedChild, _ body: () async -> Result) async -> Result

    /// The current context as carrier entries (for example a W3C `traceparent`) to hand to
    /// another process: an isolated child's worker. Empty when there is nothing to carry.
    func propagationCarrier() -> [String: String]

    /// Runs an isolated job in its worker under the context its child sent in `carrier`.
    func withPropagatedCarrier<Result>(_ carrier: [String: String], job: String,
                                       _ body: () async throws -> Result) async throws -> Result
}

/// An ``EventSink`` that comes with a ``GroupInstrument``: a group that resolves this sink
/// runs its scope and its children through the instrument.
///
/// ``MultiplexEventSink`` is one when any of its sinks is, so a tracing sink beside the
/// monitor still instruments.
public protocol InstrumentedEventSink: EventSink {
    /// The instrument groups with this sink run through; nil for none.
    var instrument: (any GroupInstrument)? { get }
}

/// The group a ``GroupInstrument`` runs: what its `group.opened` event says.
public struct InstrumentedGroup: Sendable {
    public var group: GroupID
    public var name: String
    public var site: SourceSite
    public var policy: FailurePolicy
    public var limit: Int?
    /// The child this group was opened in, when it is nested in another group's child.
    public var parentTask: TaskID?

    public init(group: GroupID, name: String, site: SourceSite, policy: FailurePolicy, limit: Int?, parentTask: TaskID?) {
        self.group = group
        self.name = name
        self.site = site
        self.policy = policy
        self.limit = limit
        self.parentTask = parentTask
    }
}

/// The child a ``GroupInstrument`` runs: what its `task.spawned` event says, and its group's name.
public struct InstrumentedChild: Sendable {
    public var task: TaskID
    public var name: String
    public var group: GroupID
    public var groupName: String
    public var site: SourceSite

    public init(task: TaskID, name: String, group: GroupID, groupName: String, site: SourceSite) {
        self.task = task
        self.name = name
        self.group = group
        self.groupName = groupName
        self.site = site
    }
}
