import GroupEvents

/// Finds the slot of a 64-bit key (a task's or group's id, a site's fingerprint): an open
/// addressing table with linear probing and backward-shift deletion, so nothing is left behind
/// when a key goes.
///
/// Why not a `Dictionary`: `HealthModel.apply` looks a child up on each of its three events
/// (the dashboard hands its `Child` instead), a spawn looks up its group and often its site, and
/// `Dictionary` hashes a `UInt64` with SipHash, a third of the statistics' cost per event when
/// measured (docs/BENCHMARKS.md). Here a key costs a seeded multiply-xorshift mix. The keys come
/// from a stream a viewer does not control, so the seed is the process's random hashing seed
/// (drawn through `Hasher`): a producer cannot aim ids at one bucket. The table keeps at most
/// half its buckets full; it grows, never shrinks (as `Dictionary` on removal).
struct SlotTable: Sendable {
    /// A key and its slot side by side, so a lookup reads one cache line; slot -1 is empty.
    private struct Bucket: Sendable {
        var key: UInt64
        var slot: Int32
    }

    private var buckets: [Bucket]
    private var mask: Int
    private(set) var count = 0
    var isEmpty: Bool { count == 0 }
    private let seed: UInt64

    init() {
        buckets = [Bucket](repeating: Bucket(key: 0, slot: -1), count: 16)
        mask = 15
        seed = Self.randomSeed(salt: 0x5AFE_6809)
    }

    /// 64 bits drawn from the process's random hashing seed (through `Hasher`), told apart by
    /// `salt`: what a stream's producer cannot know, for the tables' mix and sites' fingerprints.
    static func randomSeed(salt: UInt64) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(salt)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    /// The bucket a key starts probing from (SplitMix64's finalizer of the seeded key).
    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        var z = key ^ seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: z ^ (z >> 31)) & mask
    }

    /// The bucket holding `key`, if it is in the table.
    @inline(__always)
    private func bucket(of key: UInt64) -> Int? {
        var index = home(key)
        while true {
            let bucket = buckets[index]
            if bucket.slot < 0 { return nil }
            if bucket.key == key { return index }
            index = (index + 1) & mask
        }
    }

    subscript(key: UInt64) -> Int32? {
        bucket(of: key).map { buckets[$0].slot }
    }

    /// Adds `key` (which must not be in the table) with `slot`.
    mutating func insert(_ key: UInt64, slot: Int32) {
        precondition(slot >= 0, "a slot is never negative")
        if (count + 1) * 2 > buckets.count { grow() }
        var index = home(key)
        while buckets[index].slot >= 0 { index = (index + 1) & mask }
        buckets[index] = Bucket(key: key, slot: slot)
        count += 1
    }

    /// Takes `key` out, returning its slot.
    @discardableResult
    mutating func remove(_ key: UInt64) -> Int32? {
        guard var hole = bucket(of: key) else { return nil }
        let removed = buckets[hole].slot
        // Backward shift: move up each following key of the run whose home is not between the
        // hole and it (cyclically), so every key stays reachable from its home without tombstones.
        var next = hole
        while true {
            next = (next + 1) & mask
            if buckets[next].slot < 0 { break }
            let start = home(buckets[next].key)
            let reachable = hole <= next ? (hole < start && start <= next) : (hole < start || start <= next)
            if !reachable {
                buckets[hole] = buckets[next]
                hole = next
            }
        }
        buckets[hole].slot = -1
        count -= 1
        return removed
    }

    private mutating func grow() {
        let old = buckets
        buckets = [Bucket](repeating: Bucket(key: 0, slot: -1), count: old.count * 2)
        mask = buckets.count - 1
        count = 0
        for bucket in old where bucket.slot >= 0 { insert(bucket.key, slot: bucket.slot) }
    }

    /// The bytes the buckets hold.
    var footprint: Int { buckets.count * MemoryLayout<Bucket>.stride }
}

extension SourceSite {
    /// 64 bits of the site's file and line, mixed with `seed`: the identity of a site in
    /// ``HealthModel``. With a random seed, two of a thousand sites share one with a chance
    /// near 10⁻¹⁴, and a producer cannot choose sites that do (it never sees the seed); if two
    /// did, their counts would be added up in one row.
    func fingerprint(seed: UInt64) -> UInt64 {
        withFileUTF8 { bytes in
            var hash = seed ^ (UInt64(line) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(bytes.count)
            var offset = 0
            let raw = UnsafeRawBufferPointer(bytes)
            while offset + 8 <= bytes.count {
                hash = Self.mix(hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
            return Self.mix(hash ^ tail ^ 0xA076_1D64_78BD_642F)
        }
    }

    /// A multiply-fold: the high and low halves of a 128-bit product, xored.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value.multipliedFullWidth(by: 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }
}
