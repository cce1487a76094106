import GroupEvents
import GroupIsolation
import SafeGroup

/// How a legacy invoice can be malformed so that its parser traps.
public enum MalformedInvoice: String, Hashable, Sendable, CaseIterable {
    /// A quantity that is not a number: a force unwrap of nil.
    case nilUnwrap = "nil unwrap"
    /// A line with a field missing: an index out of range.
    case indexOutOfRange = "index out of range"
    /// A currency the parser does not know: its `fatalError`.
    case fatalError = "fatalError"
    /// A discount of itself: a recursion without end, a stack overflow.
    case stackOverflow = "stack overflow"
}

/// One import of partner invoices: what documents it has, and which is malformed.
public struct InvoiceImportScenario: Hashable, Sendable {
    public let importID: Int
    public let invoices: [LegacyInvoice]
    /// The malformed invoice's kind, if one is.
    public let malformed: MalformedInvoice?

    /// An import of `count` invoices, the last of them malformed as `malformed` says.
    public static func make(importID: Int, count: Int = 3, malformed: MalformedInvoice?) -> InvoiceImportScenario {
        var invoices: [LegacyInvoice] = []
        for index in 0..<count {
            let id = importID * 100 + index
            var text = "INV|\(id)|EUR\nLINE|sku-\(index + 1)|2|1250\nLINE|sku-\(index + 7)|1|4999\nDISCOUNT|2|10"
            if index == count - 1, let malformed {
                switch malformed {
                case .nilUnwrap: text = "INV|\(id)|EUR\nLINE|sku-3|two|1250"
                case .indexOutOfRange: text = "INV|\(id)|EUR\nLINE|sku-3|2"
                case .fatalError: text = "INV|\(id)|XTS\nLINE|sku-3|2|1250"
                case .stackOverflow: text = "INV|\(id)|EUR\nLINE|sku-3|2|1250\nDISCOUNT|2|10"
                }
            }
            invoices.append(LegacyInvoice(id: id, text: text))
        }
        return InvoiceImportScenario(importID: importID, invoices: invoices, malformed: malformed)
    }

    /// The run's name, which is also its group's.
    public var name: String { "invoice import #\(importID)" }
}

/// Imports partner invoices: each document is parsed by legacy code in a worker process
/// (``ParseLegacyInvoice``), so a malformed one crashes a worker, shows up as a `crash` fault
/// with the worker's stack, and the import (and the service) go on with the others.
public struct InvoiceImport: Sendable {
    /// The longest one document's parse may take, a crash's backtrace included: a parse takes
    /// microseconds, but a worker's crash is a fault only once the backtracer has symbolicated
    /// its stack (over a second for a deep stack in a debug build on a busy machine).
    public static let parseTimeout: Duration = .seconds(15)

    public init() {}

    /// Parses every invoice of `scenario` on `pool`; returns the group's report.
    public func run(_ scenario: InvoiceImportScenario, pool: WorkerPool, context: WorkloadContext) async -> GroupReport<InvoiceTotals> {
        await withSafeGroup(of: InvoiceTotals.self, name: scenario.name, policy: .collectAll, limit: 2,
                            timeout: Self.parseTimeout, sink: context.sink) { group in
            context.opened(group.id)
            for invoice in scenario.invoices {
                await group.spawnIsolated("parse invoice #\(invoice.id)", on: pool, job: ParseLegacyInvoice.self, input: invoice)
            }
        }
    }
}
