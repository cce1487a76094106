internal import Glibc
import Synchronization

/// Which thread is running, as a shard index: the one mechanism by which many-producer
/// buffers (`InMemoryEventSink`, the monitor's event buffer) keep each thread on a lock of its own.
package enum CurrentThread {
    /// A shard index in `0..<count` (a power of two) that stays the same for the calling thread.
    ///
    /// `pthread_self()` reads a register, no system call. Threads' descriptors sit at least a page
    /// apart, so the page number, spread by a multiplicative hash, picks the shard. Two threads
    /// may share a shard; a thread never moves to another.
    @inline(__always)
    package static func shard(of count: Int) -> Int {
        let thread = UInt64(UInt(bitPattern: Int(bitPattern: pthread_self())))
        let bits = UInt64(count.trailingZeroBitCount)
        return Int(truncatingIfNeeded: ((thread >> 12) &* 0x9E37_79B9_7F4A_7C15) >> (64 - bits))
    }
}

/// A `Mutex` alone on its cache lines: one shard of a sharded buffer.
///
/// Shards are allocated one after another; the padding keeps two shards' locks off one cache
/// line (lines are 64 bytes, and adjacent lines are fetched in pairs), so that a thread appending
/// to its shard does not evict the shard another core is appending to.
package final class PaddedMutex<Value: ~Copyable>: Sendable {
    private let before: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                         UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    package let mutex: Mutex<Value>
    private let after: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    package init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    @inline(__always)
    package func withLock<Result: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        try mutex.withLock(body)
    }
}
