import GroupHealth

/// What the tree pane shows: the tree of groups and tasks, the spawn sites, or the warnings.
public enum Tab: String, CaseIterable, Hashable, Sendable {
    case tree
    case sites
    case warnings

    /// The key that shows it (`1`, `2`, `3`).
    var key: Character {
        switch self {
        case .tree: "1"
        case .sites: "2"
        case .warnings: "3"
        }
    }
}

/// A column of the sites view, and the order `s` cycles through them.
public enum SiteColumn: String, CaseIterable, Hashable, Sendable {
    case site
    case started
    case running
    case ok
    case failed
    case timedOut = "timed-out"
    case cancelled
    case crashed
    case faultRate = "fault-rate"
    case p50
    case p90
    case p99
    case max
    case wait = "wait-p90"

    /// The column's heading.
    public var title: String {
        switch self {
        case .site: "site"
        case .started: "started"
        case .running: "run"
        case .ok: "ok"
        case .failed: "fail"
        case .timedOut: "t/o"
        case .cancelled: "canc"
        case .crashed: "crash"
        case .faultRate: "fault%/m"
        case .p50: "p50"
        case .p90: "p90"
        case .p99: "p99"
        case .max: "max"
        case .wait: "wait p90"
        }
    }

    /// The next column `s` sorts by.
    var next: SiteColumn {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }

    /// The column's number for a site (the site column sorts by text instead).
    public func value(of site: SiteStatistics) -> Double {
        switch self {
        case .site: 0
        case .started: Double(site.started)
        case .running: Double(site.running)
        case .ok: Double(site.ok)
        case .failed: Double(site.failed)
        case .timedOut: Double(site.timedOut)
        case .cancelled: Double(site.cancelled)
        case .crashed: Double(site.crashed)
        case .faultRate: site.summary.faultRate
        case .p50: Double(site.summary.durations.p50)
        case .p90: Double(site.summary.durations.p90)
        case .p99: Double(site.summary.durations.p99)
        case .max: Double(site.summary.durations.max)
        case .wait: Double(site.summary.waits.p90)
        }
    }

    /// Sorts sites by this column: numbers largest first and the site's text A to Z, unless
    /// `reversed`; ties by text, so the order is stable.
    ///
    /// Sorts indices against the columns' numbers taken once, not the rows themselves (a row
    /// is a couple of hundred bytes, moved and retained at each swap); the text is compared
    /// only on a tie, as UTF-8 bytes (the same order as `String`'s for the sanitized, NFC text).
    public func sorted(_ sites: [SiteStatistics], reversed: Bool) -> [SiteStatistics] {
        let keys = self == .site ? [Double](repeating: 0, count: sites.count) : sites.map(value(of:))
        let order = sites.indices.sorted { a, b in
            if keys[a] != keys[b] { return keys[a] > keys[b] }
            return Self.precedes(sites[a].site, sites[b].site)
        }
        return reversed ? order.reversed().map { sites[$0] } : order.map { sites[$0] }
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s, eight bytes at a time (sites often share a
    /// long prefix, and a column of equal numbers compares every pair by text).
    static func precedes(_ a: String, _ b: String) -> Bool {
        let answer = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let common = min(x.count, y.count)
                var offset = 0
                let rawX = UnsafeRawBufferPointer(x), rawY = UnsafeRawBufferPointer(y)
                while offset + 8 <= common {
                    let p = rawX.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    let q = rawY.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    // Byte order, not integer order: the first differing byte decides.
                    if p != q { return p.bigEndian < q.bigEndian }
                    offset += 8
                }
                while offset < common {
                    if x[offset] != y[offset] { return x[offset] < y[offset] }
                    offset += 1
                }
                return x.count < y.count
            }
        }
        return (answer ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
