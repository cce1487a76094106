import DemoWorkloads
import Foundation
import GroupEvents
import GroupEventsTesting
import GroupIsolation
import SafeGroup
import Testing
import TestSupport

extension DemoTests {
    /// The invoice import: a legacy parser that really traps on malformed invoices, run in
    /// demo-service worker processes.
    @Suite("Invoice imports crash workers, not the demo")
    struct InvoiceImportTests {
        /// demo-service is the demo's worker binary: it serves `demoJobs` first thing in main.
        static let workerExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("demo-service").path

        @Test func wellFormedInvoiceParsesToItsTotal() async throws {
            let invoice = try #require(InvoiceImportScenario.make(importID: 1, count: 1, malformed: nil).invoices.first)
            // 2 × 12.50 + 1 × 49.99, less 10% of the second line.
            #expect(try await ParseLegacyInvoice.run(invoice) == InvoiceTotals(id: 100, lines: 2, totalCents: 7_000))
        }

        @Test func eachCrashInjectionTrapsItsParserInAWorkerAndTheOtherInvoicesParse() async throws {
            let pool = try WorkerPool(.init(size: 2, executable: Self.workerExecutable))
            defer { pool.shutdown() }
            let sink = InMemoryEventSink()
            let control = DemoControl(seed: 3, sink: sink, workers: pool)
            var injected: [MalformedInvoice] = []
            for _ in MalformedInvoice.allCases {
                injected.append(try #require(control.injectCrash()).kind)
            }
            #expect(injected == MalformedInvoice.allCases)
            #expect(await eventually(within: .seconds(60)) { control.runningWorkloads == 0 }, "the imports did not end")

            let faults = sink.faults
            #expect(faults.count == 4)
            #expect(faults.allSatisfy { $0.kind == .crash && $0.stackOrigin == "worker" })
            let byKind = Dictionary(uniqueKeysWithValues: zip(MalformedInvoice.allCases, faults.sorted { $0.groupName < $1.groupName }))
            #expect(byKind[.nilUnwrap]?.message == "Unexpectedly found nil while unwrapping an Optional value")
            #expect(byKind[.indexOutOfRange]?.message == "Index out of range")
            #expect(byKind[.fatalError]?.message.contains("currency 'XTS' is not supported") == true)
            #expect(byKind[.stackOverflow]?.message.hasPrefix("stack overflow") == true)
            #expect(byKind[.stackOverflow]?.signal == 11)
            #expect(byKind[.nilUnwrap]?.stack.first?.symbol.contains("LegacyInvoiceParser.lineAmount") == true)
            #expect(byKind[.fatalError]?.stack.first?.symbol.contains("LegacyInvoiceParser.centsPerUnit") == true)
            #expect(byKind[.stackOverflow]?.stack.first?.symbol.contains("LegacyInvoiceParser.amount") == true)
            let ended = sink.events { if case .taskEnded(let end) = $0 { end.status } else { nil } }
            #expect(ended.filter { $0 == .crashed }.count == 4)
            #expect(ended.filter { $0 == .ok }.count == 8)
            let spawned = sink.events { if case .taskSpawned(let spawn) = $0 { spawn } else { nil } }
            #expect(spawned.count == 12 && spawned.allSatisfy(\.isolated))
        }

        @Test func withoutWorkersThereIsNoCrashToInject() {
            #expect(DemoControl(seed: 1, sink: InMemoryEventSink()).injectCrash() == nil)
        }
    }
}
