import GroupEvents
import SafeGroup

/// What a nightly sync ended with.
public struct NightlySyncResult: Sendable {
    public let runID: Int
    /// The rows copied by the tenants that synced completely.
    public let rowsCopied: Int
    /// One fault per tenant that did not sync completely (its error is a `GroupFaults` with
    /// the tenant's table faults), or per tenant that timed out or was cancelled.
    public let faults: [Fault]
}

/// A nightly sync: a group of tenants, each syncing its tables in a nested group of its own.
///
/// The groups form a tree: sync → one child per tenant → that tenant's group → one child
/// per table. The first tenant is all-or-nothing (its first failed table cancels the others);
/// the other tenants copy every table they can and report the rest.
public struct NightlySync: Sendable {
    /// How many tenants sync at once.
    public static let concurrentTenants = 2
    /// How many tables of one tenant are copied at once.
    public static let concurrentTables = 3
    /// The longest one table's copy may take.
    public static let tableTimeout: Duration = .milliseconds(1_500)

    public init() {}

    /// Runs one night's sync; returns when every tenant has ended.
    public func run(_ night: NightlySyncScenario, context: WorkloadContext) async -> NightlySyncResult {
        let report = await withSafeGroup(of: Int.self, name: "nightly-sync #\(night.runID)", policy: .collectAll,
                                         limit: Self.concurrentTenants, timeout: .seconds(5),
                                         slowCancelThreshold: .milliseconds(500), sink: context.sink) { sync in
            context.opened(sync.id)
            for tenant in night.tenants {
                await sync.spawn("tenant \(tenant.name)") { try await Self.syncTenant(tenant, context: context) }
            }
        }
        return NightlySyncResult(runID: night.runID, rowsCopied: report.results.reduce(0) { $0 + $1.value }, faults: report.faults)
    }

    /// Copies one tenant's tables in a group nested in the sync's; throws every table fault as one.
    static func syncTenant(_ tenant: NightlySyncScenario.Tenant, context: WorkloadContext) async throws -> Int {
        let report = await withSafeGroup(of: Int.self, name: "tenant \(tenant.name)",
                                         policy: tenant.stopsOnFirstFault ? .cancelOnFirstFault : .collectAll,
                                         limit: Self.concurrentTables, timeout: Self.tableTimeout,
                                         slowCancelThreshold: .milliseconds(500)) { tables in
            for table in tenant.tables {
                await tables.spawn("copy \(table.name)") {
                    try await context.track("copy \(tenant.name).\(table.name)") { try await TableCopier.copy(table, of: tenant.name) }
                }
            }
        }
        try report.throwIfFaulted()
        return report.results.reduce(0) { $0 + $1.value }
    }
}

/// Copies one table from the source database, page by page.
enum TableCopier {
    static func copy(_ table: NightlySyncScenario.Table, of tenant: String) async throws -> Int {
        let endpoint = "source-db/\(tenant)/\(table.name)"
        let (status, body) = try await SimulatedTransport.send(to: endpoint, expecting: table.schema)
        try BackendStatus.check(status, service: "source-db")
        try verifySchema(KeyValuePayload.decode(body), table: table.name)
        var rows = 0
        for page in table.pages {
            let (status, body) = try await SimulatedTransport.send(to: endpoint, expecting: page)
            try BackendStatus.check(status, service: "source-db")
            rows += try KeyValuePayload.decode(body).int("rows")
        }
        return rows
    }

    /// Refuses to copy a table whose columns changed type: the copy would corrupt the target.
    static func verifySchema(_ columns: KeyValuePayload, table: String) throws {
        for (column, type) in NightlySyncScenario.expectedColumns where try columns.string(column) != type {
            throw SchemaMismatch(table: table, column: column)
        }
    }
}
