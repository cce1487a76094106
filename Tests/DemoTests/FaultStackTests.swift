import DemoWorkloads
import GroupEvents
import GroupEventsTesting
import SafeGroup
import Testing

extension DemoTests {
    @Suite("Faults come from real code paths")
    struct FaultStackTests {
        @Test func aDeclinedPaymentCarriesTheStackOfTheCheckoutCode() async throws {
            let request = firstScenario({ CheckoutScenario.random(orderID: $0, using: &$1) }) {
                if case .reply(402, _, _) = $0.payment { true } else { false }
            }
            let sink = InMemoryEventSink()
            let result = await CheckoutHandler().handle(request, context: DemoControl(seed: 1, sink: sink).context)

            let declined = try #require(result.faults.first { $0.errorType == "DemoWorkloads.PaymentDeclined" },
                                        "a 402 from the payment backend should be a PaymentDeclined fault; got \(result.faults)")
            #expect(declined.taskName == "payment")
            #expect(declined.kind == .error)
            #expect(declined.error is TracedError<PaymentDeclined>)
            #expect(declined.info.stackOrigin == "error")
            let symbols = declined.stack.map(\.symbol)
            #expect(symbols.contains { $0.contains("PaymentGateway.decline") }, "stack: \(symbols)")
            #expect(symbols.contains { $0.contains("PaymentGateway.charge") }, "stack: \(symbols)")
            #expect(declined.stack.contains { $0.file?.hasSuffix("CheckoutBackends.swift") == true && $0.line > 0 })
            // The same fault reached the sink.
            #expect(sink.faults.contains { $0.task == declined.task && $0.errorType == declined.errorType })
        }

        @Test func eachFailingBackendGivesItsOwnErrorType() async {
            let request = firstScenario({ CheckoutScenario.random(orderID: $0, using: &$1) }) {
                guard case .reply(503, _, _) = $0.shipping, case .hang = $0.fraudCheck else { return false }
                return true
            }
            let result = await CheckoutHandler().handle(request, context: DemoControl(seed: 1, sink: InMemoryEventSink()).context)
            let byTask = Dictionary(result.faults.map { ($0.taskName, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byTask["shipping"]?.errorType == "DemoWorkloads.ServiceUnavailable")
            #expect(byTask["shipping"]?.message == "shipping is unavailable (503)")
            #expect(byTask["fraud-check"]?.kind == .timeout)
        }

        @Test func aCallbackClientThatIgnoresCancellationIsReportedSlowToCancel() async {
            await warmUpStackSymbolication()
            let request = firstScenario({ FlakyFanOutScenario.random(requestID: $0, using: &$1) }) { $0.legacyRebuild != nil }
            let sink = InMemoryEventSink()
            let result = await FlakyFanOut().run(request, context: DemoControl(seed: 1, sink: sink).context)

            let legacy = sink.spawned.first { $0.name == "legacy index" }
            #expect(legacy != nil)
            #expect(result.faults.contains { $0.taskName == "legacy index" && $0.kind == .timeout })
            let slow = sink.events { if case .slowToCancel(let slow) = $0 { slow.task } else { nil } }
            #expect(slow.contains(legacy!.task), "the legacy index child outlived its timeout; it should be reported slow to cancel")
        }
    }
}
