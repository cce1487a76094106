import SafeGroup

/// The jobs a worker process can run, by name; built once at startup.
///
/// The same registry serves both sides: the worker runs its jobs, and a supervisor learns
/// their names from the worker when it starts, so a job the worker does not know fails at once.
///
/// ```swift
/// let jobs = IsolatedJobRegistry(ParseInvoice.self, RenderThumbnail.self)
/// await IsolatedWorker.serveIfWorker(jobs)   // first thing in main
/// ```
public struct IsolatedJobRegistry: Sendable {
    /// Runs one job on encoded input; returns the encoded output.
    @usableFromInline
    typealias Runner = @Sendable ([UInt8]) async throws -> [UInt8]

    @usableFromInline
    private(set) var runners: [String: Runner] = [:]

    /// A registry of `jobs`; two jobs with one name are a programming error (a precondition).
    public init(_ jobs: any IsolatedJob.Type...) {
        for job in jobs { register(job) }
    }

    /// A registry of `jobs`.
    public init(_ jobs: [any IsolatedJob.Type]) {
        for job in jobs { register(job) }
    }

    /// Adds `job`.
    ///
    /// Inlinable, so that the job's coding is specialized where its types are known.
    @inlinable
    public mutating func register<Job: IsolatedJob>(_ job: Job.Type) {
        precondition(!Job.name.isEmpty, "IsolatedJobRegistry: \(Job.self) has an empty name")
        precondition(runners[Job.name] == nil,
                     "IsolatedJobRegistry: two jobs are named '\(Job.name)' (the second is \(Job.self)); give each a unique name")
        runners[Job.name] = { bytes in
            let input: Job.Input
            do {
                input = try JobCodec.decode(Job.Input.self, from: bytes)
            } catch {
                throw IsolationError(.codingFailed, "cannot decode the input of job '\(Job.name)' in the worker: \(error)")
            }
            let output = try await Job.run(input)
            do {
                return try JobCodec.encode(output)
            } catch {
                throw IsolationError(.codingFailed, "cannot encode the output of job '\(Job.name)' in the worker: \(error)")
            }
        }
    }

    /// The jobs' names, sorted.
    public var names: [String] { runners.keys.sorted() }
}
