/// A kind of work that can run in a worker process, where a trap cannot kill the service.
///
/// Input and output cross a process boundary, so they are `Codable` values; `run` is a
/// static function, so a job captures nothing from the caller but its input.
///
/// ```swift
/// struct ParseInvoice: IsolatedJob {
///     static let name = "parse-invoice"
///     static func run(_ input: [UInt8]) async throws -> Invoice {
///         try InvoiceParser(input).parse()   // a trap here crashes the worker, not the service
///     }
/// }
/// ```
public protocol IsolatedJob: SendableMetatype {
    /// What the job gets; encoded (in a binary `Codable` format) to reach the worker.
    associatedtype Input: Codable & Sendable
    /// What the job returns; encoded the same way to come back.
    associatedtype Output: Codable & Sendable

    /// The job's name, unique in its registry: the worker finds the job by it.
    static var name: String { get }

    /// Does the work, in the worker process.
    static func run(_ input: Input) async throws -> Output
}
