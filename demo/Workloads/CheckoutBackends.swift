import SafeGroup

// The clients of the checkout's five backends. Each is a real function, so that a fault's
// stack names the call that failed (`PaymentGateway.charge`, `ShippingService.estimate`, …).

/// Turns a non-success status into the error a caller sees.
enum BackendStatus {
    static func check(_ status: Int, service: String) throws {
        switch status {
        case 200..<300: return
        default: throw ServiceUnavailable(service: service)
        }
    }
}

enum InventoryService {
    struct Reservation: Sendable { let units: Int; let hold: String }

    static func reserve(_ items: [CheckoutScenario.LineItem], response: SimulatedResponse) async throws -> Reservation {
        let (status, body) = try await SimulatedTransport.send(to: "inventory", expecting: response)
        try BackendStatus.check(status, service: "inventory")
        let payload = try KeyValuePayload.decode(body)
        return Reservation(units: try payload.int("reserved"), hold: try payload.string("hold"))
    }
}

enum PricingService {
    static func quote(_ items: [CheckoutScenario.LineItem], response: SimulatedResponse) async throws -> Int {
        let (status, body) = try await SimulatedTransport.send(to: "pricing", expecting: response)
        try BackendStatus.check(status, service: "pricing")
        return try KeyValuePayload.decode(body).int("total")
    }
}

enum PaymentGateway {
    static func charge(_ amountCents: Int, orderID: Int, response: SimulatedResponse) async throws -> String {
        let (status, body) = try await SimulatedTransport.send(to: "payment", expecting: response)
        let payload = try KeyValuePayload.decode(body)
        if status == 402 { try decline(payload, amountCents: amountCents) }
        try BackendStatus.check(status, service: "payment")
        return try payload.string("authorization")
    }

    /// A decline is rare and worth a stack: the error carries the stack of this call.
    @inline(never)
    static func decline(_ payload: KeyValuePayload, amountCents: Int) throws -> Never {
        throw TracedError(PaymentDeclined(code: try payload.int("decline"), amountCents: amountCents))
    }
}

enum ShippingService {
    static func estimate(units: Int, response: SimulatedResponse) async throws -> Int {
        let (status, body) = try await SimulatedTransport.send(to: "shipping", expecting: response)
        try BackendStatus.check(status, service: "shipping")
        return try KeyValuePayload.decode(body).int("days")
    }
}

enum FraudCheck {
    static func screen(orderID: Int, amountCents: Int, response: SimulatedResponse) async throws -> Int {
        let (status, body) = try await SimulatedTransport.send(to: "fraud-check", expecting: response)
        try BackendStatus.check(status, service: "fraud-check")
        return try KeyValuePayload.decode(body).int("score")
    }
}
