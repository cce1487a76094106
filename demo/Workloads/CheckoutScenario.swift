/// One checkout request and how each of its five backends will answer it.
public struct CheckoutScenario: Hashable, Sendable {
    /// One line of the order.
    public struct LineItem: Hashable, Sendable {
        public let sku: String
        public let quantity: Int
        public let unitPriceCents: Int
    }

    public let orderID: Int
    public let items: [LineItem]
    public let inventory: SimulatedResponse
    public let pricing: SimulatedResponse
    public let payment: SimulatedResponse
    public let shipping: SimulatedResponse
    public let fraudCheck: SimulatedResponse

    /// The handler spawns one child per backend.
    public var childCount: Int { 5 }

    public var totalCents: Int { items.reduce(0) { $0 + $1.quantity * $1.unitPriceCents } }

    private static let catalogue = ["kettle", "mug", "grinder", "filter-papers", "scale", "beans-1kg", "tamper", "milk-jug"]

    /// A request with backends that fail by chance: payment declines (8%), shipping answers 503
    /// (10%), fraud-check hangs past its timeout (6%), pricing sends a truncated body (4%),
    /// inventory resets the connection (3%).
    public static func random(orderID: Int, using random: inout SeededGenerator) -> CheckoutScenario {
        let items = (0..<Int.random(in: 1...4, using: &random)).map { _ in
            LineItem(sku: catalogue.randomElement(using: &random)!, quantity: Int.random(in: 1...3, using: &random),
                     unitPriceCents: Int.random(in: 300...9_000, using: &random))
        }
        let total = items.reduce(0) { $0 + $1.quantity * $1.unitPriceCents }
        let units = items.reduce(0) { $0 + $1.quantity }

        let inventory: SimulatedResponse = random.chance(0.03)
            ? .reset(after: random.milliseconds(5...40), bytesReceived: Int.random(in: 0...64, using: &random))
            : .ok(["reserved": "\(units)", "hold": "RSV-\(orderID)"], after: random.milliseconds(10...60))

        var pricing: SimulatedResponse = .ok(["total": "\(total)", "currency": "EUR"], after: random.milliseconds(5...40))
        if random.chance(0.04), case .reply(let status, let body, let latency) = pricing {
            pricing = .reply(status: status, body: Array(body.prefix(body.count / 2)), after: latency)
        }

        let payment: SimulatedResponse = random.chance(0.08)
            ? .reply(status: 402, body: KeyValuePayload.encode(["decline": "\([51, 05, 14, 54].randomElement(using: &random)!)"]),
                     after: random.milliseconds(20...90))
            : .ok(["authorization": "AUTH-\(Int.random(in: 100_000...999_999, using: &random))"], after: random.milliseconds(20...90))

        let shipping: SimulatedResponse = random.chance(0.10)
            ? .reply(status: 503, body: [], after: random.milliseconds(5...30))
            : .ok(["days": "\(Int.random(in: 1...6, using: &random))", "carrier": "DHL"], after: random.milliseconds(10...50))

        let fraudCheck: SimulatedResponse = random.chance(0.06)
            ? .hang
            : .ok(["score": "\(Int.random(in: 0...40, using: &random))"], after: random.milliseconds(15...70))

        return CheckoutScenario(orderID: orderID, items: items, inventory: inventory, pricing: pricing,
                                payment: payment, shipping: shipping, fraudCheck: fraudCheck)
    }
}
