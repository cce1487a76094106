import GroupIsolation

/// An invoice in the legacy text format, as a partner uploads it:
///
/// ```
/// INV|1042|EUR
/// LINE|sku-7|2|1250
/// LINE|sku-9|1|4999
/// DISCOUNT|2|10
/// ```
/// After the header, records are numbered from 1: `LINE|sku|quantity|unit cents`, and
/// `DISCOUNT|record|percent`, which takes a percentage off the amount of another record (a
/// line, or a discount, whose amount is its own discount).
public struct LegacyInvoice: Codable, Hashable, Sendable {
    public let id: Int
    public let text: String

    public init(id: Int, text: String) {
        self.id = id
        self.text = text
    }
}

/// What parsing an invoice found.
public struct InvoiceTotals: Codable, Hashable, Sendable {
    public let id: Int
    public let lines: Int
    public let totalCents: Int

    public init(id: Int, lines: Int, totalCents: Int) {
        self.id = id
        self.lines = lines
        self.totalCents = totalCents
    }
}

/// Parses legacy invoices the way the old code did: force unwraps, unchecked field indexes,
/// a `fatalError` for what "cannot happen", and a recursion that trusts its input. A malformed
/// upload traps, which is why the demo runs it in a worker process (``ParseLegacyInvoice``).
enum LegacyInvoiceParser {
    enum Record {
        case line(cents: Int)
        case discount(record: Int, percent: Int)
    }

    static func totals(of invoice: LegacyInvoice) -> InvoiceTotals {
        let rows = invoice.text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        let scale = centsPerUnit(of: rows[0][2], invoice: invoice.id)
        var records: [Record] = []
        for fields in rows.dropFirst() {
            switch fields[0] {
            case "LINE": records.append(.line(cents: lineAmount(fields) * scale / 100))
            case "DISCOUNT": records.append(.discount(record: Int(fields[1])! - 1, percent: Int(fields[2])!))
            default: continue
            }
        }
        var total = 0
        var lines = 0
        for index in records.indices {
            switch records[index] {
            case .line(let cents):
                total += cents
                lines += 1
            case .discount:
                total -= amount(of: index, in: records)
            }
        }
        return InvoiceTotals(id: invoice.id, lines: lines, totalCents: total)
    }

    @inline(never)
    static func lineAmount(_ fields: [Substring]) -> Int {
        // Quantity and unit price: fields 2 and 3, trusted to be there and to be numbers.
        Int(fields[2])! * Int(fields[3])!
    }

    @inline(never)
    static func centsPerUnit(of currency: Substring, invoice: Int) -> Int {
        switch currency {
        case "EUR", "USD", "GBP": return 100
        case "JPY": return 1
        default: fatalError("invoice #\(invoice): currency '\(currency)' is not supported")
        }
    }

    /// What record `index` amounts to: a line its cents, a discount its share of its target.
    /// Trusts that a chain of discounts ends.
    @inline(never)
    static func amount(of index: Int, in records: [Record]) -> Int {
        switch records[index] {
        case .line(let cents): return cents
        case .discount(let target, let percent): return amount(of: target, in: records) * percent / 100
        }
    }
}

/// Parses one ``LegacyInvoice`` in a worker process: the demo's risky step.
public enum ParseLegacyInvoice: IsolatedJob {
    public static let name = "parse-legacy-invoice"
    public static func run(_ input: LegacyInvoice) async throws -> InvoiceTotals {
        LegacyInvoiceParser.totals(of: input)
    }
}

/// The jobs of the demo's workers: `safegroup` and `demo-service` pass them to
/// `IsolatedWorker.serveIfWorker` first thing in `main`.
public let demoJobs = IsolatedJobRegistry(ParseLegacyInvoice.self)
