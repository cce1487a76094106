import GroupEvents
import SafeGroup

/// What a checkout ended with.
public struct CheckoutResult: Sendable {
    public let orderID: Int
    /// Every backend answered: the order is placed.
    public var confirmed: Bool { faults.isEmpty }
    /// Every backend call that failed, timed out or was cancelled.
    public let faults: [Fault]
}

/// A checkout request handler: fans out to inventory, pricing, payment, shipping and
/// fraud-check, at most ``concurrentCalls`` at a time, each call under ``callTimeout``.
public struct CheckoutHandler: Sendable {
    /// The longest a backend call may take.
    public static let callTimeout: Duration = .milliseconds(400)
    /// How many backend calls run at once; the others wait for a slot.
    public static let concurrentCalls = 3

    public init() {}

    /// Handles one checkout; returns when every backend call has ended.
    public func handle(_ request: CheckoutScenario, context: WorkloadContext) async -> CheckoutResult {
        let total = request.totalCents
        let units = request.items.reduce(0) { $0 + $1.quantity }
        // Collect all: the order page shows every problem at once (card declined *and*
        // shipping down), so the handler lets every call finish instead of stopping at one.
        let report = await withSafeGroup(of: CheckoutStep.self, name: "checkout #\(request.orderID)", policy: .collectAll,
                                         limit: Self.concurrentCalls, timeout: Self.callTimeout,
                                         slowCancelThreshold: .milliseconds(500), sink: context.sink) { calls in
            context.opened(calls.id)
            await calls.spawn("inventory") {
                try await context.track("inventory") { .reserved(try await InventoryService.reserve(request.items, response: request.inventory)) }
            }
            await calls.spawn("pricing") {
                try await context.track("pricing") { .priced(try await PricingService.quote(request.items, response: request.pricing)) }
            }
            await calls.spawn("payment") {
                try await context.track("payment") {
                    .charged(try await PaymentGateway.charge(total, orderID: request.orderID, response: request.payment))
                }
            }
            await calls.spawn("shipping") {
                try await context.track("shipping") { .shipping(try await ShippingService.estimate(units: units, response: request.shipping)) }
            }
            await calls.spawn("fraud-check") {
                try await context.track("fraud-check") {
                    .screened(try await FraudCheck.screen(orderID: request.orderID, amountCents: total, response: request.fraudCheck))
                }
            }
        }
        return CheckoutResult(orderID: request.orderID, faults: report.faults)
    }
}

/// What one backend call of a checkout returned.
enum CheckoutStep: Sendable {
    case reserved(InventoryService.Reservation)
    case priced(Int)
    case charged(String)
    case shipping(Int)
    case screened(Int)
}
