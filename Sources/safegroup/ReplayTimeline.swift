import GroupEvents

/// A recording's records, as loaded so far, placed on one playback timeline.
///
/// Each session's timestamps count from its own process's epoch, so a recording that spans a
/// restart would jump back in time at the second header. The timeline puts each later session
/// right after the one before it, keeping the spacing of its events (their original timing).
/// It never goes back, even when two events of a session were stamped slightly out of order
/// by different threads, so a time can be found by binary search.
struct ReplayTimeline {
    /// Headers and events, in file order (diagnostics are counted by the decoder, not kept).
    private(set) var records: [WireRecord] = []
    /// The timeline time of each record, in nanoseconds; a header takes the time of the event after it.
    private(set) var times: [UInt64] = []
    /// Each record's own timestamp (its session's stream time); a header takes its session's first.
    private(set) var streamTimes: [UInt64] = []
    /// Indices of the headers and of the fault events, ascending.
    private(set) var headers: [Int] = []
    private(set) var faults: [Int] = []

    /// The timeline offset of the current session: added to its timestamps.
    private var offset: Int64 = 0
    /// Whether the next event is the first of a session (its offset is set from it).
    private var sessionStarts = true
    /// Headers waiting for their session's first event, which gives them their times.
    private var untimed: [Int] = []
    private var hasEvents = false

    var count: Int { records.count }
    var isEmpty: Bool { !hasEvents }
    /// The first and last event times on the timeline.
    private(set) var start: UInt64 = 0
    private(set) var end: UInt64 = 0

    mutating func append(contentsOf loaded: [WireRecord]) {
        records.reserveCapacity(records.count + loaded.count)
        for record in loaded { append(record) }
    }

    private mutating func append(_ record: WireRecord) {
        switch record {
        case .header:
            sessionStarts = true
            headers.append(records.count)
            untimed.append(records.count)
            records.append(record)
            times.append(end)
            streamTimes.append(0)
        case .event(_, let event):
            let raw = event.time.rawValue
            if sessionStarts {
                // The first session plays from its own first timestamp; a later one starts where
                // the one before it ended.
                offset = hasEvents ? Int64(bitPattern: end) &- Int64(bitPattern: raw) : 0
                sessionStarts = false
            }
            let time = max(hasEvents ? end : 0, UInt64(bitPattern: Int64(bitPattern: raw) &+ offset))
            if !hasEvents { start = time }
            hasEvents = true
            end = time
            for index in untimed {
                times[index] = time
                streamTimes[index] = raw
            }
            untimed.removeAll()
            if case .faultRecorded = event.kind { faults.append(records.count) }
            records.append(record)
            times.append(time)
            streamTimes.append(raw)
        case .diagnostic:
            break
        }
    }

    /// How many records have a time at or before `time`: the cursor of a replay at `time`.
    func cursor(at time: UInt64) -> Int {
        var low = 0, high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The last header before `cursor` (where a replay moving back re-feeds from), if any.
    func header(before cursor: Int) -> Int? {
        headers.last(where: { $0 < cursor })
    }
}
