import GroupEvents
import GroupHealth

/// The dashboard's whole state: the stream's model, the user's view choices, the clock, the
/// connection, and the tree pane's flattened rows.
///
/// Change it only with ``update(_:)`` (the reducer: pure, no I/O), and draw it with
/// ``render(_:size:)``, which only reads it:
///
/// ```swift
/// var state = DashboardState(mode: .live, size: terminal.size)
/// while running {
///     for message in arrived {                     // records, keys, resizes, …
///         for effect in state.update(message) { … }   // .quit, .replay(…), .demo(…)
///     }
///     state.update(.tick(viewerNanoseconds: now))  // before each draw: time moves, rows are built
///     terminal.draw(render(state, size: terminal.size))
/// }
/// ```
public struct DashboardState: Sendable {
    public let mode: DashboardMode
    public let limits: DashboardLimits
    /// The live model: always up to date, paused or not.
    public private(set) var model: StreamModel
    /// What the tree and faults panes show while paused: the model as it was when `p` was pressed.
    public private(set) var frozen: StreamModel?
    /// The stream time the paused view shows (durations stand still while paused).
    public private(set) var frozenNow: MonotonicTime?
    public internal(set) var view = ViewState()
    public private(set) var clock = StreamClock()
    public private(set) var connection: ConnectionState
    public private(set) var replay: ReplayPosition?
    public private(set) var size: TerminalSize
    /// Headers seen: 1 for a stream, more after reconnects or in concatenated recordings.
    public private(set) var sessions = 0
    /// Lines the decoder skipped (malformed, over-long, unknown type, torn).
    public var skippedLines: Int { max(skippedFromRecords, skippedFromCounters) }
    /// The runner's notice, shown in the footer until the next key.
    public internal(set) var notice: String?
    /// The tree pane's rows, flattened (see ``TreeIndex``), as of the last message that moved
    /// time or changed the view (see ``update(_:)``).
    public private(set) var treeRows: [TreeRow] = []
    /// The faults pane's rows: fault numbers, newest first, filtered; refreshed with ``treeRows``.
    public private(set) var faultRows: [Int] = []
    /// The sites view's rows, sorted by ``ViewState/siteSort`` (built only while it shows).
    public private(set) var siteRows: [SiteStatistics] = []
    /// The warnings view's rows: the active warnings, by kind then age.
    public var warningRows: [HealthWarning] { displayed.health?.warnings ?? [] }
    /// Whether records arrived since the rows were built: the next tick, replay position, key
    /// or resize rebuilds them (``refreshRows()`` does it at once).
    public var rowsAreStale: Bool { needsIndex }

    private var skippedFromRecords = 0
    /// The viewer's clock at the last tick, and when the last record (or the connection) came.
    private var viewerNow: UInt64?
    private var lastArrival: UInt64?
    /// The replay's checkpoints, by record number (see ``ReplayCheckpoint``).
    private var checkpoints: [Int: Checkpoint] = [:]
    private var skippedFromCounters = 0
    /// Set when something the rows depend on changed; they are rebuilt by the next message that
    /// moves time or changes the view, not by records (see ``update(_:)``).
    private var needsIndex = true
    /// The model revision the rows were built from: a tick rebuilds them only when the model
    /// changed since (or the duration sort makes time itself reorder them).
    private var indexedRevision: UInt64?
    /// The health revision the rows were built from: warnings change with time alone.
    private var indexedHealthRevision: UInt64?

    public init(mode: DashboardMode, size: TerminalSize = TerminalSize(columns: 80, rows: 24),
                limits: DashboardLimits = .default) {
        self.mode = mode
        self.limits = limits
        self.size = size
        self.model = StreamModel(limits: limits)
        self.connection = mode == .replay ? .connected : .connecting
    }

    /// How long nothing has come from a live service that is still connected, in whole seconds,
    /// once that is longer than the client's silence timeout (``silenceNanoseconds``); nil
    /// otherwise. A service sends a heartbeat every second: a silent one may be hung.
    public var silentSeconds: Int? {
        guard mode == .live, connection == .connected, let viewerNow, let lastArrival,
              viewerNow > lastArrival, viewerNow - lastArrival > Self.silenceNanoseconds else { return nil }
        return Int((viewerNow - lastArrival) / 1_000_000_000)
    }

    /// MonitorClient's default silence timeout: after it, the client gives the connection up
    /// and reconnects, and until then the header says how long the service has been silent.
    public static let silenceNanoseconds: UInt64 = 10_000_000_000

    /// The model the panes show: the frozen one while paused, else the live one.
    public var displayed: StreamModel { frozen ?? model }
    /// The stream time now.
    public var now: MonotonicTime { clock.now }
    /// The stream time the panes show.
    public var displayedNow: MonotonicTime { frozenNow ?? clock.now }

    /// The selected tree row, if any.
    public var selectedTreeRow: TreeRow? {
        treeRows.indices.contains(view.treeCursor) ? treeRows[view.treeCursor] : nil
    }

    /// The selected fault, if any.
    public var selectedFault: FaultRecord? {
        guard faultRows.indices.contains(view.faultCursor) else { return nil }
        return displayed.faults[number: faultRows[view.faultCursor]]
    }

    var layout: Layout { Layout(size: size, mode: mode) }

    // MARK: The reducer

    /// Applies one message and returns what the run loop should do.
    ///
    /// Records update the model at once but only mark the tree's rows stale: rebuilding them
    /// costs O(tracked tasks), so a loader feeding a million events in batches must not pay it
    /// per batch. The rows are rebuilt (at most once) by the messages after which a frame is
    /// drawn or the rows are used: a tick (the run loop sends one before each draw), a replay
    /// position, a key (before it moves the selection, and after) and a resize.
    @discardableResult
    public mutating func update(_ message: DashboardMessage) -> [DashboardEffect] {
        var effects: [DashboardEffect] = []
        var refreshes = true
        switch message {
        case .record(let record):
            ingest(record)
            lastArrival = viewerNow
            refreshes = false
        case .records(let records):
            for record in records { ingest(record) }
            if !records.isEmpty { lastArrival = viewerNow }
            refreshes = false
        case .key(let key):
            notice = nil
            refreshRows()  // the key acts on the rows the user sees
            let before = RowChoices(view)
            effects = handle(key)
            // Moving the selection changes no row: with 100,000 tasks a rebuild is ~150 ms a key.
            if RowChoices(view) == before && selectionIsOnItsRow {
                rescroll()
            } else {
                needsIndex = true
            }
        case .tick(let viewerNanoseconds):
            viewerNow = max(viewerNow ?? 0, viewerNanoseconds)
            if lastArrival == nil { lastArrival = viewerNow }
            clock.tick(viewerNanoseconds: viewerNanoseconds)
            model.expire(at: clock.now, budget: StreamModel.expiriesPerTick)
            model.refreshSiteSummaries()
            // Tasks may have left the tree, or (with the duration sort) durations reordered it.
            if frozen == nil && (model.revision != indexedRevision || view.sort == .duration
                                 || model.health?.revision != indexedHealthRevision) { needsIndex = true }
        case .resize(let newSize):
            size = newSize
            needsIndex = true
        case .connection(let state):
            lastArrival = viewerNow
            // A stream that ended after the service's last gasp ended because the service died.
            if let crash = model.crash, !state.isLive {
                connection = .crashed(reason: crash.summary)
            } else {
                connection = state
            }
            clock.isRunning = connection.isLive
            refreshes = false
        case .replayPosition(let position):
            replay = position
            clock.replayTime = position.time
            model.expire(at: position.time)
            if frozen == nil && (model.revision != indexedRevision || view.sort == .duration) { needsIndex = true }
        case .replayCheckpoint(let checkpoint):
            effects = handle(checkpoint)
            refreshes = false
        case .decoderCounters(let counters):
            skippedFromCounters = counters.malformed + counters.overLong + counters.unknownTypes + counters.torn
            refreshes = false
        case .notice(let text):
            notice = TextSanitizer.sanitize(text)
            refreshes = false
        }
        if refreshes { refreshRows() }
        return effects
    }

    /// Rebuilds the tree's and the faults' rows now if records made them stale; `update` does
    /// it on the messages that precede a frame. For a caller that renders right after records.
    public mutating func refreshRows() {
        if needsIndex { reindex() }
    }

    // MARK: Replay checkpoints

    /// The most checkpoints a replay keeps.
    public static let maxCheckpoints = 64
    /// The most tracked items (tasks, groups, faults, ended tasks) the checkpoints hold in all.
    public static let checkpointBudget = 500_000

    /// What ingesting records changes, as it was after a replay's first records.
    private struct Checkpoint: Sendable {
        var model: StreamModel
        var clock: StreamClock
        var sessions: Int
        var skippedFromRecords: Int
        var weight: Int { model.tasks.count + model.groups.count + model.faults.count + model.history.count }
    }

    private mutating func handle(_ checkpoint: ReplayCheckpoint) -> [DashboardEffect] {
        switch checkpoint {
        case .save(let record):
            checkpoints[record] = Checkpoint(model: model, clock: clock, sessions: sessions, skippedFromRecords: skippedFromRecords)
            return evictCheckpoints().map { .replayCheckpointDropped(record: $0) }
        case .restore(let record):
            guard let saved = checkpoints[record] else { return [] }
            model = saved.model
            let replayTime = clock.replayTime
            clock = saved.clock
            clock.replayTime = replayTime
            sessions = saved.sessions
            skippedFromRecords = saved.skippedFromRecords
            if frozen == nil { needsIndex = true }
            return []
        }
    }

    /// Evicts checkpoints until they are within their bounds: each time the later of the two
    /// closest (so the rest stay spread over the recording), the first and the newest last.
    /// Returns their numbers.
    private mutating func evictCheckpoints() -> [Int] {
        var dropped: [Int] = []
        var weight = checkpoints.values.reduce(0) { $0 + $1.weight }
        while !checkpoints.isEmpty, checkpoints.count > Self.maxCheckpoints || weight > Self.checkpointBudget {
            let records = checkpoints.keys.sorted()
            var victim = records[records.count - 1]
            if records.count > 1 {
                var smallest = Int.max
                for index in 0..<(records.count - 1) where records[index + 1] - records[index] < smallest {
                    smallest = records[index + 1] - records[index]
                    victim = index + 1 < records.count - 1 || index == 0 ? records[index + 1] : records[index]
                }
            }
            weight -= checkpoints.removeValue(forKey: victim)?.weight ?? 0
            dropped.append(victim)
        }
        return dropped
    }

    private mutating func ingest(_ record: WireRecord) {
        switch record {
        case .header(let header):
            // A new session (a restarted service, the next recording): start the tree afresh.
            sessions += 1
            model = StreamModel(service: header.service, pid: header.pid, limits: limits, acceptsActions: header.actions)
            clock.startSession()
        case .event(let seq, let event):
            clock.observe(event.time)
            model.apply(event, seq: seq)
            if case .viewerAction(let action) = event.kind { notice = Self.describe(action, in: model) }
            model.expire(at: clock.now)
        case .diagnostic(let diagnostic):
            if diagnostic.kind != .missingHeader { skippedFromRecords += 1 }
        }
        if frozen == nil { needsIndex = true }
    }

    /// `viewer 4711 cancelled t42 (charge-card)`, `refused viewer 4711's cancel of g3: actions are off…`
    static func describe(_ action: ViewerAction, in model: StreamModel) -> String {
        let target: String = switch action.target {
        case .task(let id)?: id.description + (model.tasks[id].map { " (\($0.name))" } ?? "")
        case .group(let id)?: id.description + (model.groups[id].map { " (\($0.name))" } ?? "")
        case nil: "nothing"
        }
        let what = TextSanitizer.sanitize(action.action)
        switch action.result {
        case .cancelled: return "viewer \(action.viewer) cancelled \(target)"
        case .refused:
            return "refused viewer \(action.viewer)'s \(what) of \(target): " + TextSanitizer.sanitize(action.reason ?? "no reason given")
        }
    }

    // MARK: Rows and selection

    /// What the view chose that the rows depend on (a key that changes none of it only moves).
    private struct RowChoices: Equatable {
        var filter: String
        var sort: SortOrder
        var collapsed: Set<GroupID>
        var showsHistory: Bool
        var isPaused: Bool
        var follows: Bool
        var tab: Tab
        var siteSort: SiteColumn
        var siteSortReversed: Bool
        var siteFilter: String?

        init(_ view: ViewState) {
            (filter, sort, collapsed) = (view.filter, view.sort, view.collapsed)
            (showsHistory, isPaused, follows) = (view.showsHistory, view.isPaused, view.follows)
            (tab, siteSort, siteSortReversed, siteFilter) = (view.tab, view.siteSort, view.siteSortReversed, view.siteFilter)
        }
    }

    /// What the detail pane is about, which its scroll belongs to.
    private var detailSubject: [Int] {
        switch view.pane {
        case .faults: [0, selectedFault?.number ?? -1]
        case .tree: [1, selectedTreeRow.map { $0.ref.hashValue } ?? 0]
        }
    }

    /// Whether the selected tree row and fault are the ones under their cursors.
    private var selectionIsOnItsRow: Bool {
        let tree = view.selectedRow.map { treeRows.indices.contains(view.treeCursor) && treeRows[view.treeCursor].ref == $0 } ?? true
        let fault = view.selectedFault.map { faultRows.indices.contains(view.faultCursor) && faultRows[view.faultCursor] == $0 } ?? true
        return tree && fault
    }

    /// Keeps both cursors in view after a move.
    private mutating func rescroll() {
        view.siteScroll = scrolled(view.siteScroll, cursor: view.siteCursor, count: siteRows.count, visible: layout.treeRows - 1)
        view.warningScroll = scrolled(view.warningScroll, cursor: view.warningCursor, count: warningRows.count, visible: layout.treeRows)
        view.treeScroll = scrolled(view.treeScroll, cursor: view.treeCursor, count: treeRows.count, visible: layout.treeRows)
        view.faultScroll = scrolled(view.faultScroll, cursor: view.faultCursor, count: faultRows.count, visible: layout.faultRows)
    }

    /// How many times the rows were built (for the tests of when they are).
    private(set) var rowBuilds = 0

    /// Rebuilds the rows, then puts the selection back on the row it was on (or the newest,
    /// when following) and scrolls so that it is visible.
    mutating func reindex() {
        let shownInDetail = detailSubject
        defer {
            // Following moves the selection on its own: the next one starts at its top.
            if detailSubject != shownInDetail { view.detailScroll = 0 }
        }
        needsIndex = false
        rowBuilds += 1
        let shown = displayed
        indexedRevision = shown.revision
        indexedHealthRevision = shown.health?.revision
        view.collapsed = view.collapsed.filter { shown.groups[$0] != nil }
        // The sites and warnings views hide the tree: its rows (O(tracked tasks)) wait until it shows again.
        let showsTree = view.tab == .tree
        if showsTree { treeRows = TreeIndex.rows(of: shown, view: view, now: displayedNow) }
        let filter = TextFilter(view.filter)
        let site = view.siteFilter
        faultRows = shown.faults.newestFirst.filter { fault in
            (site == nil || fault.site == site) && (filter.matches(fault.taskName) || filter.matches(fault.kind.rawValue)
                || filter.matches(fault.groupName) || filter.matches(fault.errorType))
        }.map(\.number)
        // The sites view sorts every site: only while it shows.
        siteRows = view.tab == .sites ? view.siteSort.sorted(shown.health?.sites ?? [], reversed: view.siteSortReversed)
            .filter { filter.matches($0.site) } : []
        view.siteCursor = clamp(view.siteCursor, count: siteRows.count)
        view.siteScroll = scrolled(view.siteScroll, cursor: view.siteCursor, count: siteRows.count, visible: layout.treeRows - 1)
        view.warningCursor = clamp(view.warningCursor, count: warningRows.count)
        view.warningScroll = scrolled(view.warningScroll, cursor: view.warningCursor, count: warningRows.count, visible: layout.treeRows)

        // Tree selection: the followed task, else the same row as before, else the same position.
        if !showsTree {
            // Kept as it was: the tree's rows are not current.
        } else if view.follows, !view.showsHistory, let newest = shown.newestTask,
           let index = treeRows.lastIndex(where: { $0.ref == .task(newest) }) {
            view.treeCursor = index
        } else if let selected = view.selectedRow, let index = treeRows.firstIndex(where: { $0.ref == selected }) {
            view.treeCursor = index
        }
        if showsTree {
            view.treeCursor = clamp(view.treeCursor, count: treeRows.count)
            view.selectedRow = selectedTreeRow?.ref
            view.treeScroll = scrolled(view.treeScroll, cursor: view.treeCursor, count: treeRows.count, visible: layout.treeRows)
        }

        if view.follows {
            view.faultCursor = 0
        } else if let selected = view.selectedFault, let index = faultRows.firstIndex(of: selected) {
            view.faultCursor = index
        }
        view.faultCursor = clamp(view.faultCursor, count: faultRows.count)
        // Until the user picks a fault, the cursor stays on the newest row instead of on
        // whichever fault happened to be first.
        if view.selectedFault != nil {
            view.selectedFault = faultRows.indices.contains(view.faultCursor) ? faultRows[view.faultCursor] : nil
        }
        view.faultScroll = scrolled(view.faultScroll, cursor: view.faultCursor, count: faultRows.count, visible: layout.faultRows)
    }

    private func clamp(_ cursor: Int, count: Int) -> Int {
        max(0, min(cursor, count - 1))
    }

    /// The first row to show so that `cursor` is visible, moving `scroll` as little as possible.
    private func scrolled(_ scroll: Int, cursor: Int, count: Int, visible: Int) -> Int {
        guard visible > 0 else { return 0 }
        var scroll = scroll
        if cursor < scroll { scroll = cursor }
        if cursor >= scroll + visible { scroll = cursor - visible + 1 }
        return max(0, min(scroll, count - visible))
    }

    // MARK: Pause

    mutating func togglePause() {
        if frozen == nil {
            frozen = model
            frozenNow = clock.now
            view.isPaused = true
        } else {
            frozen = nil
            frozenNow = nil
            view.isPaused = false
        }
    }
}
