import Glibc

/// The one platform call of this module: which thread is running.
enum CurrentThread {
    /// A shard index in `0..<count` (a power of two) that stays the same for the calling thread.
    ///
    /// `pthread_self()` reads a register, no system call. Threads' descriptors sit at least a page
    /// apart, so the page number, spread by a multiplicative hash, picks the shard.
    @inline(__always)
    static func shard(of count: Int) -> Int {
        let thread = UInt64(UInt(bitPattern: Int(bitPattern: pthread_self())))
        let bits = UInt64(count.trailingZeroBitCount)
        return Int(truncatingIfNeeded: ((thread >> 12) &* 0x9E37_79B9_7F4A_7C15) >> (64 - bits))
    }
}
