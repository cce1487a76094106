/// A recording's index, as loaded so far: each record placed on one playback timeline, the
/// headers and faults, and checkpoints to decode records from. The records themselves stay in
/// the file (``RecordReader`` decodes them again): 16 bytes a record here, not the record.
///
/// Each session's timestamps count from its own process's epoch, so a recording that spans a
/// restart would jump back in time at the second header. The timeline puts each later session
/// right after the one before it, keeping the spacing of its events (their original timing).
/// It never goes back, even when two events of a session were stamped slightly out of order
/// by different threads, so a time can be found by binary search.
struct ReplayTimeline {
    /// What the timeline needs of one record (diagnostics are counted by the decoder, not indexed).
    enum Entry: Hashable, Sendable {
        case header
        /// An event: its own timestamp, and whether it records a fault.
        case event(time: UInt64, isFault: Bool)
    }

    /// A place to decode records from: record number `record` is the first whole line at `offset`.
    struct Checkpoint: Hashable, Sendable {
        var record: Int
        var offset: Int64
    }

    /// The timeline time of each record, in nanoseconds; a header takes the time of the event after it.
    private(set) var times: [UInt64] = []
    /// Each record's own timestamp (its session's stream time); a header takes its session's first.
    private(set) var streamTimes: [UInt64] = []
    /// Record numbers of the headers and of the fault events, ascending.
    private(set) var headers: [Int] = []
    private(set) var faults: [Int] = []
    /// Ascending by record and offset; the first is the file's start.
    private(set) var checkpoints = [Checkpoint(record: 0, offset: 0)]

    /// The timeline offset of the current session: added to its timestamps.
    private var offset: Int64 = 0
    /// Whether the next event is the first of a session (its offset is set from it).
    private var sessionStarts = true
    /// Headers waiting for their session's first event, which gives them their times.
    private var untimed: [Int] = []
    private var hasEvents = false

    /// Events whose timestamp leapt more than ``maxLeapNanoseconds`` past the one before it in
    /// their session: placed at the time before them instead (see ``append(contentsOf:)``).
    private(set) var leaps = 0
    /// The largest step forward a timestamp may take from the one before it in its session: an
    /// hour. A live service sends a heartbeat every second, so a longer step is a damaged or
    /// forged timestamp; one `t` of 2^64-1 stretched the timeline to five million hours.
    static let maxLeapNanoseconds: UInt64 = 3_600_000_000_000
    /// The stream time of the session's newest event.
    private var sessionLatest: UInt64 = 0

    var count: Int { times.count }
    var isEmpty: Bool { !hasEvents }
    /// The first and last event times on the timeline.
    private(set) var start: UInt64 = 0
    private(set) var end: UInt64 = 0

    mutating func append(contentsOf entries: [Entry]) {
        // No reserveCapacity(count + entries.count) here: called once per chunk, it would
        // reallocate (and copy) the arrays at every chunk instead of growing them geometrically.
        for entry in entries { append(entry) }
    }

    /// Adds a checkpoint after the last one (ignored otherwise).
    mutating func add(_ checkpoint: Checkpoint) {
        guard let last = checkpoints.last, checkpoint.record > last.record, checkpoint.offset > last.offset,
              checkpoint.record <= count else { return }
        checkpoints.append(checkpoint)
    }

    private mutating func append(_ entry: Entry) {
        switch entry {
        case .header:
            sessionStarts = true
            headers.append(count)
            untimed.append(count)
            times.append(end)
            streamTimes.append(0)
        case .event(var raw, let isFault):
            if !sessionStarts, raw > sessionLatest, raw - sessionLatest > Self.maxLeapNanoseconds {
                leaps += 1
                raw = sessionLatest
            }
            if sessionStarts {
                // The first session plays from its own first timestamp; a later one starts where
                // the one before it ended.
                offset = hasEvents ? Int64(bitPattern: end) &- Int64(bitPattern: raw) : 0
                sessionStarts = false
                sessionLatest = raw
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
            if isFault { faults.append(count) }
            times.append(time)
            streamTimes.append(raw)
            sessionLatest = max(sessionLatest, raw)
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

    /// The last checkpoint at or before record `record`.
    func checkpoint(atOrBefore record: Int) -> Checkpoint {
        var low = 0, high = checkpoints.count
        while low < high {
            let middle = (low + high) / 2
            if checkpoints[middle].record <= record { low = middle + 1 } else { high = middle }
        }
        return checkpoints[max(0, low - 1)]
    }
}
