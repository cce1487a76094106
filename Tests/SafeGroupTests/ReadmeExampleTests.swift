import GroupEvents
import SafeGroup
import Testing

// The usage example of README.md, kept compiling and true here. Keep the two in step.

struct Item: Sendable { let sku: String }
struct PriceService: Sendable {
    func price(of sku: String) async throws -> Int {
        if sku == "bad" { throw TestError(code: 404) }
        return sku.count
    }
}

func priceAll(_ items: [Item], with prices: PriceService) async throws -> [Int] {
    // README: begin
    let report = await withSafeGroup(of: Int.self, name: "prices", policy: .collectAll, limit: 8) { group in
        for item in items {
            await group.spawn("price \(item.sku)", timeout: .seconds(2)) {
                try await prices.price(of: item.sku)
            }
        }
    }
    for fault in report.faults {
        print("\(fault.kind) in \(fault.taskName) at \(fault.site): \(fault.message)")
    }
    try report.throwIfFaulted()  // every fault as one error, not just the first
    return report.results.map(\.value)
    // README: end
}

@Test func theReadmeExampleCollectsEveryFaultAndRethrowsThemAsOne() async throws {
    let ok = try await priceAll([Item(sku: "a"), Item(sku: "bb")], with: PriceService())
    #expect(ok.sorted() == [1, 2])
    await #expect(throws: GroupFaults.self) {
        _ = try await priceAll([Item(sku: "bad"), Item(sku: "ok"), Item(sku: "bad")], with: PriceService())
    }
}
