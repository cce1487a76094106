import GroupEvents
import SafeGroup
import ServiceLifecycle

/// A long-lived ``SafeGroup`` as a swift-service-lifecycle `Service`: `run()` runs
/// ``withGracefulSafeGroup(of:name:policy:limit:timeout:slowCancelThreshold:sink:drainTimeout:fileID:line:body:)``
/// and hands its report to `onReport`.
///
/// Given the monitor's service, it waits for the monitor to start before it opens its group, so
/// the monitor sees the group from its first event even though `ServiceGroup` starts every
/// service at once.
public struct SafeGroupService: Service {
    private let name: String
    private let policy: FailurePolicy
    private let limit: Int?
    private let timeout: Duration?
    private let drainTimeout: Duration
    private let monitor: SafeGroupMonitorService?
    private let site: (fileID: StaticString, line: UInt)
    private let body: @Sendable (inout SafeGroup<Void>) async -> Void
    private let onReport: @Sendable (GroupReport<Void>) async -> Void

    /// - Parameters:
    ///   - monitor: the monitor's service, whose start to wait for; nil to open the group at once.
    ///   - onReport: receives the group's report once every child has ended.
    ///   - body: spawns the children; it must stop when a graceful shutdown begins.
    public init(name: String, policy: FailurePolicy = .collectAll, limit: Int? = nil, timeout: Duration? = nil,
                drainTimeout: Duration, monitor: SafeGroupMonitorService? = nil,
                fileID: StaticString = #fileID, line: UInt = #line,
                onReport: @escaping @Sendable (GroupReport<Void>) async -> Void = { _ in },
                body: @escaping @Sendable (inout SafeGroup<Void>) async -> Void) {
        self.name = name; self.policy = policy; self.limit = limit; self.timeout = timeout
        self.drainTimeout = drainTimeout; self.monitor = monitor; self.site = (fileID, line)
        self.onReport = onReport; self.body = body
    }

    public func run() async throws {
        if let monitor { _ = await monitor.started() }
        let report = await withGracefulSafeGroup(of: Void.self, name: name, policy: policy, limit: limit, timeout: timeout,
                                                 drainTimeout: drainTimeout, fileID: site.fileID, line: site.line, body: body)
        await onReport(report)
    }
}
