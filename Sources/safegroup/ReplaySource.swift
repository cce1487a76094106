import Dashboard
import GroupEvents

/// The source of `replay`: a recording played with its original timing, at 0.25× to 64×,
/// with the replay keys carried out here.
///
/// The file is indexed by a ``RecordingLoader`` task while the replay plays, so the first screen
/// does not wait for the whole file; only the index stays in memory, and the records fed to the
/// dashboard are decoded from the file again by a ``RecordReader``. Moving forward feeds the
/// records in between; moving back feeds again from the last header before the new position
/// (the reducer starts afresh on a header), so the screen always shows exactly the records up
/// to the position. Records go to the dashboard in batches, never all at once.
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

    /// How many records the dashboard has been fed.
    private var cursor = 0
    /// Where the replay is, on the timeline; nil until the first event is loaded.
    private var position: UInt64?
    private var speed: Double
    private var isPlaying = true
    private var lastWake: UInt64
    private var sentConnection: ConnectionState = .connected

    /// A replay of what `loader` reads, its first chunk already read; playing at `speed`.
    init(loader: RecordingLoader, first: RecordingLoader.Chunk, speed: Double) throws(SystemError) {
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
        let now = MonotonicTime.now().rawValue
        if position == nil, !timeline.isEmpty { position = timeline.start }
        if let position, isPlaying {
            let advanced = Double(now &- lastWake) * speed
            move(to: min(timeline.end, position &+ UInt64(min(advanced, 1e18))), deliver)
        }
        lastWake = now
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
        let atEnd = isLoaded && cursor >= timeline.count
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

    /// Feeds the dashboard so that it has seen exactly the first `target` records, and puts
    /// the position at `time`.
    private mutating func move(toCursor target: Int, time: UInt64, _ deliver: (DashboardMessage) -> Void) {
        let target = min(max(target, 0), timeline.count)
        // Back: from the header of the session, which resets the dashboard's model.
        let from = target >= cursor ? cursor : timeline.header(before: target) ?? 0
        let jump = target - from > RecordReader.batchSize
        cursor = target
        position = time
        // Over a long stretch, the new "now" goes first: the dashboard then lets ended tasks
        // leave the tree as the records come in, as they would have while playing, instead of
        // holding every task of the stretch (up to its bound) until the position arrives.
        if jump, let replay = replayPosition { deliver(.replayPosition(replay)) }
        do {
            try reader.read(from..<target, in: timeline, limit: bytesLoaded, isComplete: isLoaded) { deliver(.records($0)) }
        } catch {
            deliver(.notice("stopped reading: \(error)"))
        }
    }

    mutating func perform(_ effect: DashboardEffect, _ deliver: (DashboardMessage) -> Void) {
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
