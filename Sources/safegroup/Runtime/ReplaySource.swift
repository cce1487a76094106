import Dashboard
import GroupEvents
import SystemCalls

/// The source of `replay`: a recording played with its original timing, at 0.25× to 64×,
/// with the replay keys carried out here.
///
/// The file is indexed by a ``RecordingLoader`` task while the replay plays, so the first screen
/// does not wait for the whole file; only the index stays in memory, and the records fed to the
/// dashboard are decoded from the file again by a ``RecordReader``. Moving forward feeds the
/// records in between; moving back goes back to the nearest of the dashboard's checkpoints
/// (``ReplayCheckpoint``: models it keeps every ``checkpointSpacing`` records or so) or to the
/// last header before the new position (the reducer starts afresh on a header), whichever is
/// later, and feeds on from there, so the screen always shows exactly the records up to the
/// position. Records go to the dashboard in batches, never all at once.
///
/// A move never holds the run loop: it sets where the dashboard should be, and each wake feeds
/// it for at most ``feedBudgetNanoseconds`` (``isBusy`` meanwhile, so the loop does not wait
/// for input). So `q`, Ctrl-C and the next move are taken between two slices; a newer move
/// simply changes where the feeding goes.
struct ReplaySource: DashboardSource {
    let mode = DashboardMode.replay
    let failure: CommandFailure? = nil
    static let speeds: ClosedRange<Double> = 0.25...64
    /// How far ←/→ move.
    static let seekSeconds = 10

    private let loader: RecordingLoader
    private var reader: RecordReader
    private let mailbox = BoundedMailbox<RecordingLoader.Chunk>(capacity: 64)
    private var loading: Task<Void, Never>?
    private var timeline = ReplayTimeline()
    private var isLoaded = false
    private var bytesLoaded: Int64 = 0
    private var counters = WireDecoder.Counters()
    private var sentCounters: WireDecoder.Counters?
    private var loadFailure: String?
    /// Leapt timestamps already told of.
    private var leapsNoted = 0

    /// How many records the dashboard is to have been fed: where the replay is.
    private var cursor = 0
    /// How many it has been fed: short of `cursor` while a move is being fed.
    private var fed = 0
    /// The dashboard's checkpoints (record numbers, ascending), as saved and not evicted.
    private var checkpoints: [Int] = []
    /// Records between checkpoints; doubled when the dashboard had to evict some for room.
    private var checkpointSpacing = ReplaySource.initialCheckpointSpacing
    static let initialCheckpointSpacing = 2 * RecordReader.batchSize
    /// How long one wake feeds a move at most, before the loop reads keys again (at least one
    /// batch is fed: tests set 0 to feed one batch a wake).
    var feedBudgetNanoseconds: UInt64 = 30_000_000
    /// Where the replay is, on the timeline; nil until the first event is loaded.
    private var position: UInt64?
    private var speed: Double
    private var isPlaying = true
    private var lastWake: UInt64
    private var sentConnection: ConnectionState = .connected

    /// A replay of what `loader` reads, its first chunk already read; playing at `speed`.
    init(loader: RecordingLoader, first: RecordingLoader.Chunk, speed: Double) throws(PosixError) {
        self.loader = loader
        reader = try loader.makeReader()
        self.speed = min(max(speed, Self.speeds.lowerBound), Self.speeds.upperBound)
        lastWake = MonotonicTime.now().rawValue
        take(first)
        if !first.isLast { loading = loader.start(into: mailbox) }
    }

    private mutating func take(_ chunk: RecordingLoader.Chunk) {
        timeline.append(contentsOf: chunk.entries)
        if let checkpoint = chunk.checkpoint { timeline.add(checkpoint) }
        bytesLoaded = chunk.bytesRead
        counters = chunk.counters
        if chunk.isLast { isLoaded = true }
        if let failure = chunk.failure { loadFailure = failure }
    }

    mutating func poll(_ deliver: (DashboardMessage) -> Void) {
        for chunk in mailbox.takeAll() { take(chunk) }
        if let loadFailure {
            deliver(.notice("stopped reading: \(loadFailure)"))
            self.loadFailure = nil
        }
        if timeline.leaps > leapsNoted {
            leapsNoted = timeline.leaps
            deliver(.notice("\(leapsNoted) \(leapsNoted == 1 ? "timestamp leaps" : "timestamps leap") more than an hour ahead: played at the time before"))
        }
        let now = MonotonicTime.now().rawValue
        if position == nil, !timeline.isEmpty { position = timeline.start }
        if let position, isPlaying, !isBusy {
            let advanced = Double(now &- lastWake) * speed
            move(to: min(timeline.end, position &+ UInt64(min(advanced, 1e18))), deliver)
        }
        lastWake = now
        feed(deliver)
        // Playing stops at the end of a file read to its end; it goes on while more may come.
        if isPlaying, isLoaded, let position, position >= timeline.end, cursor >= timeline.count {
            isPlaying = false
        }
        finishStep(deliver)
    }

    /// After the records fed: the position, and any change of counters or of the end.
    private mutating func finishStep(_ deliver: (DashboardMessage) -> Void) {
        if counters != sentCounters {
            deliver(.decoderCounters(counters))
            sentCounters = counters
        }
        let atEnd = isLoaded && fed >= timeline.count
        let connection: ConnectionState = atEnd ? .ended : .connected
        if connection != sentConnection {
            deliver(.connection(connection))
            sentConnection = connection
        }
        if let replay = replayPosition { deliver(.replayPosition(replay)) }
    }

    /// The position as the dashboard shows it: "now" in the stream time of the session being
    /// shown, and the recording's start and end placed around it.
    private var replayPosition: ReplayPosition? {
        guard let position, !timeline.isEmpty else { return nil }
        let last = max(0, min(cursor, timeline.count) - 1)
        let sessionNow = timeline.streamTimes[last] &+ (position &- min(position, timeline.times[last]))
        let elapsed = position - min(position, timeline.start)
        let remaining = timeline.end - min(timeline.end, position)
        return ReplayPosition(time: MonotonicTime(nanoseconds: sessionNow),
                              start: MonotonicTime(nanoseconds: sessionNow - min(sessionNow, elapsed)),
                              end: MonotonicTime(nanoseconds: sessionNow &+ remaining),
                              speed: speed, isPlaying: isPlaying)
    }

    /// Moves the replay to `time` on the timeline.
    private mutating func move(to time: UInt64, _ deliver: (DashboardMessage) -> Void) {
        move(toCursor: timeline.cursor(at: time), time: time, deliver)
    }

    /// Whether a move is still being fed: the run loop then polls again without waiting.
    var isBusy: Bool { fed != cursor }

    /// Puts the replay at `target` records and `time`, and starts feeding the dashboard from
    /// the latest place that leads there: where it is (moving forward), a checkpoint, or a
    /// header (which resets the model).
    private mutating func move(toCursor target: Int, time: UInt64, _ deliver: (DashboardMessage) -> Void) {
        let target = min(max(target, 0), timeline.count)
        cursor = target
        position = time
        // Forward, from where it is (never skipping a header: the dashboard counts sessions);
        // back, from the header of the session. A later checkpoint beats either.
        var from = target >= fed ? fed : timeline.header(before: target) ?? 0
        if let checkpoint = checkpoints.last(where: { $0 <= target }), checkpoint > from { from = checkpoint }
        if from != fed {
            if checkpoints.contains(from) { deliver(.replayCheckpoint(.restore(record: from))) }
            fed = from
        }
        // Over a long stretch, the new "now" goes first: the dashboard then lets ended tasks
        // leave the tree as the records come in, as they would have while playing, instead of
        // holding every task of the stretch (up to its bound) until the position arrives.
        if target - fed > RecordReader.batchSize, let replay = replayPosition { deliver(.replayPosition(replay)) }
        feed(deliver)
    }

    /// Feeds the dashboard toward `cursor`, for at most ``feedBudgetNanoseconds``, in batches
    /// that end on checkpoint boundaries, saving a checkpoint at each boundary passed.
    private mutating func feed(_ deliver: (DashboardMessage) -> Void) {
        let start = MonotonicTime.now().rawValue
        while fed < cursor {
            let boundary = (fed / checkpointSpacing + 1) * checkpointSpacing
            let asked = min(cursor, boundary, fed + RecordReader.batchSize) - fed
            let handed: Int
            do {
                handed = try reader.read(fed..<(fed + asked), in: timeline, limit: bytesLoaded, isComplete: isLoaded) { deliver(.records($0)) }
            } catch {
                deliver(.notice("stopped reading: \(error)"))
                cursor = fed
                return
            }
            fed += handed
            // Fewer than asked for: the file changed under the replay. It stays where it got.
            guard handed == asked else {
                cursor = fed
                return
            }
            if fed % checkpointSpacing == 0, checkpoints.last.map({ $0 < fed }) ?? true {
                checkpoints.append(fed)
                deliver(.replayCheckpoint(.save(record: fed)))
            }
            if MonotonicTime.now().rawValue &- start >= feedBudgetNanoseconds { return }
        }
    }

    /// The dashboard evicted a checkpoint: forget it, and space the next ones wider.
    private mutating func dropCheckpoint(_ record: Int) {
        checkpoints.removeAll { $0 == record }
        if checkpoints.count >= DashboardState.maxCheckpoints / 2 { checkpointSpacing *= 2 }
    }

    mutating func perform(_ effect: DashboardEffect, _ deliver: (DashboardMessage) -> Void) {
        if case .replayCheckpointDropped(let record) = effect { return dropCheckpoint(record) }
        guard case .replay(let command) = effect, let position, !timeline.isEmpty else { return }
        lastWake = MonotonicTime.now().rawValue
        switch command {
        case .togglePlay:
            if !isPlaying, isLoaded, cursor >= timeline.count {
                // Space at the end plays again from the start.
                move(toCursor: timeline.cursor(at: timeline.start), time: timeline.start, deliver)
                isPlaying = true
            } else {
                isPlaying.toggle()
            }
        case .faster:
            speed = min(speed * 2, Self.speeds.upperBound)
        case .slower:
            speed = max(speed / 2, Self.speeds.lowerBound)
        case .seek(let seconds):
            let delta = UInt64(seconds.magnitude) * 1_000_000_000
            let target = seconds >= 0 ? min(timeline.end, position &+ delta)
                                      : max(timeline.start, position - min(position, delta))
            move(to: target, deliver)
        case .nextFault:
            guard let fault = timeline.faults.first(where: { $0 >= cursor }) else {
                finishStep(deliver)
                return deliver(.notice("no fault after this point\(isLoaded ? "" : " yet (still reading the file)")"))
            }
            isPlaying = false
            move(toCursor: fault + 1, time: timeline.times[fault], deliver)
        case .previousFault:
            // The fault before the one just shown, if the last record fed is a fault.
            guard let fault = timeline.faults.last(where: { $0 < cursor - 1 }) else {
                finishStep(deliver)
                return deliver(.notice("no fault before this point"))
            }
            isPlaying = false
            move(toCursor: fault + 1, time: timeline.times[fault], deliver)
        case .step(let count):
            isPlaying = false
            // Never before the first record: a header there is what resets the screen.
            let target = min(max(cursor + count, 1), timeline.count)
            move(toCursor: target, time: timeline.times[target - 1], deliver)
        case .toStart:
            move(toCursor: timeline.cursor(at: timeline.start), time: timeline.start, deliver)
        case .toEnd:
            move(toCursor: timeline.count, time: timeline.end, deliver)
        }
        finishStep(deliver)
    }

    mutating func finish() {
        loading?.cancel()
        reader.close()
    }
}
