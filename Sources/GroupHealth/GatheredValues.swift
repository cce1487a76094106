/// Every site's run durations and waits not yet in a histogram, in the order they came.
///
/// A site's histograms are kilobytes each (``SlidingHistogram``); with a thousand busy sites,
/// recording each value as it comes costs a miss on the histogram's array before the bucket's
/// own, and the site's other lines, on every end. Here a value is one append to a buffer
/// written in order; when the buffer is full, when a value of another half of the window
/// comes, or before a site is evicted, the values are sorted by site (a counting sort: two
/// passes) and each histogram is touched once for all of its values (``drain(into:)``). A
/// refresh of a few sites' percentiles takes only their values (``drain(sites:into:)``), and
/// a summary made on a copy reads a site's values where they are (``values(of:isWait:)``).
///
/// Bounded: at most ``capacity`` values (256 KiB, grown as needed), and while it sorts, about
/// 144 KiB of scratch it frees after. Nothing else is kept in the value, so a copy of the model
/// (a replay's checkpoint) holds no more than the values themselves.
struct GatheredValues: Sendable {
    static let capacity = 32_768

    /// `site << 33 | isWait << 32 | microseconds`.
    private var entries: [UInt64] = []
    /// The half of the window (stream time / half length) every value here belongs to.
    private(set) var half: UInt64 = 0

    var count: Int { entries.count }

    /// Adds a value (microseconds, ``SlidingHistogram/micros(_:)``) of site `site`; false, and
    /// nothing added, when the buffer is full or holds values of another half: drain it first.
    mutating func add(site: Int32, isWait: Bool, micros: UInt32, half: UInt64) -> Bool {
        if !entries.isEmpty, half != self.half || entries.count >= Self.capacity { return false }
        self.half = half
        entries.append(UInt64(UInt32(bitPattern: site)) << 33 | (isWait ? 1 << 32 : 0) | UInt64(micros))
        return true
    }

    /// Puts every value in its site's histogram (durations or waits), and empties the buffer.
    mutating func drain(into states: inout [SiteState]) {
        guard !entries.isEmpty else { return }
        // Counting sort by (site, kind): each histogram then takes its values in one go.
        let keys = states.count * 2
        var starts = [Int32](repeating: 0, count: keys + 1)
        for entry in entries { starts[Int(entry >> 32) + 1] += 1 }
        for key in 0..<keys { starts[key + 1] += starts[key] }
        var next = starts
        var sorted = [UInt32](repeating: 0, count: entries.count)
        for entry in entries {
            let key = Int(entry >> 32)
            sorted[Int(next[key])] = UInt32(truncatingIfNeeded: entry)
            next[key] += 1
        }
        sorted.withUnsafeBufferPointer { values in
            for key in 0..<keys where starts[key + 1] > starts[key] {
                let mine = UnsafeBufferPointer(rebasing: values[Int(starts[key])..<Int(starts[key + 1])])
                if key & 1 == 1 {
                    states[key >> 1].waits.record(mine, inHalf: half)
                } else {
                    states[key >> 1].durations.record(mine, inHalf: half)
                }
            }
        }
        entries.removeAll(keepingCapacity: true)
    }

    /// Puts the values of the sites in slots `sites` in their histograms and keeps the rest,
    /// in order: one pass, for percentiles of a few sites without recording every site's.
    mutating func drain(sites: [Int], into states: inout [SiteState]) {
        guard !entries.isEmpty else { return }
        // Each chosen site's position in `sites`, plus one (0: not chosen).
        var positions = [Int32](repeating: 0, count: states.count)
        for (position, site) in sites.enumerated() { positions[site] = Int32(position + 1) }
        var taken = [[UInt32]](repeating: [], count: sites.count * 2)
        var kept = 0
        for entry in entries {
            let site = Int(entry >> 33), position = Int(positions[site])
            if position > 0 {
                taken[(position - 1) * 2 + Int(entry >> 32 & 1)].append(UInt32(truncatingIfNeeded: entry))
            } else {
                entries[kept] = entry
                kept += 1
            }
        }
        entries.removeLast(entries.count - kept)
        for (position, site) in sites.enumerated() {
            taken[position * 2].withUnsafeBufferPointer { states[site].durations.record($0, inHalf: half) }
            taken[position * 2 + 1].withUnsafeBufferPointer { states[site].waits.record($0, inHalf: half) }
        }
    }

    /// The values of site `site` here, durations or waits (for a summary made on a copy).
    func values(of site: Int, isWait: Bool) -> [UInt32] {
        let key = UInt64(site) << 1 | (isWait ? 1 : 0)
        return entries.compactMap { $0 >> 32 == key ? UInt32(truncatingIfNeeded: $0) : nil }
    }

    /// The bytes held, about.
    var footprint: Int { entries.capacity * 8 }
}
