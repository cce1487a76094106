package import Glibc

/// Which thread is running, as a shard index: the one mechanism by which many-producer
/// buffers (`InMemoryEventSink`, the monitor's event buffer) keep each thread on a lock of its own.
package enum CurrentThread {
    /// A shard index in `0..<count` (a power of two) that stays the same for the calling thread.
    ///
    /// `pthread_self()` reads a register, no system call. Threads' descriptors sit at least a page
    /// apart, so the page number, spread by a multiplicative hash, picks the shard. Two threads
    /// may share a shard; a thread never moves to another.
    @inlinable @inline(__always)
    package static func shard(of count: Int) -> Int {
        let thread = UInt64(UInt(bitPattern: Int(bitPattern: pthread_self())))
        let bits = UInt64(count.trailingZeroBitCount)
        return Int(truncatingIfNeeded: ((thread >> 12) &* 0x9E37_79B9_7F4A_7C15) >> (64 - bits))
    }
}
