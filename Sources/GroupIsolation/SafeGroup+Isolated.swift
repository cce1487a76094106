@_spi(Isolation) import SafeGroup
import GroupEvents

extension SafeGroup {
    /// Spawns a child that runs `job` on `input` in a worker of `pool`; its value is the job's output.
    ///
    /// Its parameters come in `spawn`'s order: the child's name (the job's name when nil) and
    /// timeout, then the work.
    ///
    /// It is a child like any other (limit, timeout, policy, cancellation), and its
    /// `task.spawned` event says `isolated: true`. A trap in the job crashes the worker, not
    /// this process: the child ends `crashed` with a fault of kind `crash` that has the signal,
    /// the runtime's reason and the worker's stack. Past `timeout`, the worker is killed and the
    /// group records a timeout fault; cancellation kills it too. Either way the pool replaces it.
    ///
    /// ```swift
    /// await group.spawnIsolated("parse #\(id)", timeout: .seconds(2), on: pool, job: ParseInvoice.self, input: bytes)
    /// ```
    ///
    /// Inlinable, so that the job's coding is specialized for its types where they are known
    /// (unspecialized, it costs tens of microseconds more per child).
    @inlinable
    @discardableResult
    public mutating func spawnIsolated<Job: IsolatedJob>(
        _ name: String? = nil,
        timeout: Duration? = nil,
        on pool: WorkerPool,
        job: Job.Type,
        input: Job.Input,
        fileID: StaticString = #fileID,
        line: UInt = #line,
        isolation: isolated (any Actor)? = #isolation
    ) async -> TaskID where Job.Output == Success {
        await spawnIsolatedOperation(name ?? Job.name, timeout: timeout, fileID: fileID, line: line) {
            try await pool.run(Job.self, input)
        }
    }

    /// Spawns `operation` as a child marked isolated (through SafeGroup's SPI, which inlinable
    /// code cannot call).
    @usableFromInline
    @discardableResult
    mutating func spawnIsolatedOperation(
        _ name: String,
        timeout: Duration?,
        fileID: StaticString,
        line: UInt,
        isolation: isolated (any Actor)? = #isolation,
        operation: @escaping @Sendable () async throws -> Success
    ) async -> TaskID {
        await spawnIsolatedChild(name, timeout: timeout, fileID: fileID, line: line, operation: operation)
    }
}
