import GroupEvents

/// Which pane has the keyboard.
public enum Pane: Hashable, Sendable {
    case tree
    case faults
}

/// The order of children within a group (and of root groups).
public enum SortOrder: CaseIterable, Hashable, Sendable {
    /// The order they were spawned in (groups: the order they opened).
    case spawnOrder
    /// Longest first (running ones by their live duration).
    case duration
    /// What needs attention first: crashed, failed, timed out, running, waiting, cancelled, ok.
    case status
    /// By name.
    case name

    public var title: String {
        switch self {
        case .spawnOrder: "spawn"
        case .duration: "duration"
        case .status: "status"
        case .name: "name"
        }
    }

    /// The next order in the cycle that `s` steps through.
    var next: SortOrder {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// What the user has chosen to see: pane, selection, scroll, filter, sort, pause, overlays.
public struct ViewState: Hashable, Sendable {
    public var pane: Pane = .tree
    public var sort: SortOrder = .spawnOrder
    /// The filter text; empty for none. Matches names, statuses and group names.
    public var filter = ""
    /// True while `/` is typing into the filter.
    public var isEditingFilter = false
    /// Keep the newest task (and fault) selected.
    public var follows = false
    public var isPaused = false
    public var showsHelp = false
    /// The tree pane shows the history of ended tasks instead of the tree.
    public var showsHistory = false
    /// Groups the user collapsed.
    public var collapsed: Set<GroupID> = []

    /// The selected row of the tree pane (index into ``DashboardState/treeRows``) and the first row shown.
    public var treeCursor = 0
    public var treeScroll = 0
    /// The selected row's identity, so the selection stays on it as rows come and go.
    public var selectedRow: TreeRow.Ref?

    /// The selected row of the faults pane (index into ``DashboardState/faultRows``) and the first row shown.
    public var faultCursor = 0
    public var faultScroll = 0
    /// The selected fault's number.
    public var selectedFault: Int?

    /// What the tree pane shows (`1` tree, `2` sites, `3` warnings).
    public var tab: Tab = .tree
    /// The sites view's sort column (`s` cycles) and direction (`r` reverses).
    public var siteSort: SiteColumn = .faultRate
    public var siteSortReversed = false
    /// The site (`file:line`) the tree and the faults are filtered to (Enter on a site; Esc clears).
    public var siteFilter: String?
    /// The sites and warnings views' selected rows and first rows shown.
    public var siteCursor = 0
    public var siteScroll = 0
    public var warningCursor = 0
    public var warningScroll = 0

    /// A cancel waiting for `y` (`x` asked for it): what it names, and how the footer says it.
    public var pendingCancel: PendingCancel?

    /// How many lines the detail pane is scrolled down (`J`, `K`); back to 0 when the selection moves.
    public var detailScroll = 0

    public init() {}
}

/// A cancel that `x` asked for, waiting for `y`.
public struct PendingCancel: Hashable, Sendable {
    public var target: ViewerAction.Target
    /// `t42 'charge-card'`, `every child of g3 'checkout'`.
    public var label: String
}
