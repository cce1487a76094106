/// One night's sync: which tenants, which of their tables, and how the source database answers.
public struct NightlySyncScenario: Hashable, Sendable {
    /// One table to copy.
    public struct Table: Hashable, Sendable {
        public let name: String
        /// The answer to the schema query: `column=type;` fields.
        public let schema: SimulatedResponse
        /// The answers to the page reads, in order.
        public let pages: [SimulatedResponse]
    }

    /// One tenant, synced in a group of its own.
    public struct Tenant: Hashable, Sendable {
        public let name: String
        /// All or nothing: the first failed table cancels the tenant's other tables.
        public let stopsOnFirstFault: Bool
        public let tables: [Table]
    }

    public let runID: Int
    public let tenants: [Tenant]

    /// One child per tenant, and one per table under it.
    public var childCount: Int { tenants.reduce(0) { $0 + 1 + $1.tables.count } }

    /// The columns the sync expects in every table, and their types.
    static let expectedColumns: KeyValuePairs<String, String> = ["id": "bigint", "tenant_id": "bigint", "updated_at": "timestamptz"]

    private static let tenantNames = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"]
    private static let tableNames = ["customers", "orders", "invoices", "payments", "events", "audit_log"]

    /// A night with 2–4 tenants of 3–5 tables each. The first tenant is all-or-nothing and,
    /// half the time, one of its tables has a changed column type; in the other tenants a
    /// table's schema changed (6%) or its connection resets partway through (8%).
    public static func random(runID: Int, using random: inout SeededGenerator) -> NightlySyncScenario {
        let names = tenantNames.shuffled(using: &random).prefix(Int.random(in: 2...4, using: &random))
        var tenants: [Tenant] = []
        for (index, name) in names.enumerated() {
            let strict = index == 0
            let tableCount = Int.random(in: 3...5, using: &random)
            let brokenTable = strict && random.chance(0.5) ? Int.random(in: 0..<tableCount, using: &random) : nil
            let tables = tableNames.shuffled(using: &random).prefix(tableCount).enumerated().map { tableIndex, table in
                let schemaChanged = strict ? tableIndex == brokenTable : random.chance(0.06)
                let schema = SimulatedResponse.reply(status: 200, body: schemaBody(changed: schemaChanged), after: random.milliseconds(5...20))
                let resetAt = !strict && random.chance(0.08) ? Int.random(in: 0..<3, using: &random) : nil
                let pages = (0..<Int.random(in: 3...5, using: &random)).map { page -> SimulatedResponse in
                    if page == resetAt {
                        return .reset(after: random.milliseconds(10...40), bytesReceived: Int.random(in: 512...65_536, using: &random))
                    }
                    return .ok(["rows": "\(Int.random(in: 50...500, using: &random))", "cursor": "\(table)-\(page + 1)"],
                               after: random.milliseconds(15...45))
                }
                return Table(name: table, schema: schema, pages: pages)
            }
            tenants.append(Tenant(name: name, stopsOnFirstFault: strict, tables: tables))
        }
        return NightlySyncScenario(runID: runID, tenants: tenants)
    }

    private static func schemaBody(changed: Bool) -> [UInt8] {
        guard changed else { return KeyValuePayload.encode(expectedColumns) }
        return KeyValuePayload.encode(["id": "bigint", "tenant_id": "bigint", "updated_at": "text"])
    }
}
