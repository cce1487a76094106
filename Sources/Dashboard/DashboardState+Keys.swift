import GroupEvents
import GroupHealth

extension DashboardState {
    /// What a key does. Keys only change the view or ask for effects; the model is the stream's.
    mutating func handle(_ key: Key) -> [DashboardEffect] {
        if view.showsHelp {
            // The overlay takes the keyboard: any key closes it, q still quits.
            if KeyBindings.isQuit(key) { return [.quit] }
            view.showsHelp = false
            return []
        }
        if view.isEditingFilter {
            editFilter(key)
            return []
        }
        if let pending = view.pendingCancel {
            // The confirmation takes the next key: y cancels, anything else keeps it.
            view.pendingCancel = nil
            if key == .character("y") { return [.cancel(pending.target)] }
            notice = "not cancelled"
            return []
        }
        if KeyBindings.isQuit(key) { return [.quit] }
        if KeyBindings.isHelp(key) {
            view.showsHelp = true
            return []
        }
        if mode == .replay, let command = KeyBindings.replayCommand(key) {
            return [.replay(command)]
        }
        if mode == .demo, let command = KeyBindings.demoCommand(key) {
            if case .cancelGroup = command { return [.demo(.cancelGroup(selectedGroup))] }
            return [.demo(command)]
        }
        if KeyBindings.isCancel(key) {
            askToCancel()
            return []
        }
        if let tab = KeyBindings.tab(key) {
            view.tab = tab
            view.pane = .tree
            view.detailScroll = 0
            return []
        }
        switch key {
        case _ where KeyBindings.isUp(key): move(by: -1)
        case _ where KeyBindings.isDown(key): move(by: 1)
        case .pageUp: move(by: -max(1, visibleRows - 1))
        case .pageDown: move(by: max(1, visibleRows - 1))
        case .home, .character("g"): move(by: Int.min / 2)
        case .end, .character("G"): move(by: Int.max / 2)
        case _ where KeyBindings.isScrollDetailDown(key): scrollDetail(by: 1)
        case _ where KeyBindings.isScrollDetailUp(key): scrollDetail(by: -1)
        case _ where KeyBindings.isSwitchPane(key):
            view.pane = view.pane == .tree ? .faults : .tree
            view.detailScroll = 0
        case _ where KeyBindings.isToggle(key):
            switch (view.pane, view.tab) {
            case (.faults, _): showSelectedFaultsTask()
            case (.tree, .tree): toggleSelectedGroup(expand: nil)
            case (.tree, .sites): filterToSelectedSite()
            case (.tree, .warnings): showSelectedWarning()
            }
        case .left: toggleSelectedGroup(expand: false)
        case .right: toggleSelectedGroup(expand: true)
        case _ where KeyBindings.isFilter(key):
            view.isEditingFilter = true
        case .escape:
            view.filter = ""
            view.siteFilter = nil
        case .character("s") where view.tab == .sites:
            view.siteSort = view.siteSort.next
        case .character("r") where view.tab == .sites:
            view.siteSortReversed.toggle()
        case .character("s"):
            view.sort = view.sort.next
        case .character("f"):
            view.follows.toggle()
        case .character("p"):
            togglePause()
        case .character("h"):
            view.showsHistory.toggle()
            view.detailScroll = 0
            view.treeCursor = 0
            view.treeScroll = 0
            view.selectedRow = nil
        default:
            break
        }
        return []
    }

    /// Typing into the filter: it applies as you type; Enter keeps it, Esc clears it.
    private mutating func editFilter(_ key: Key) {
        switch key {
        case .enter:
            view.isEditingFilter = false
        case .escape:
            view.filter = ""
            view.isEditingFilter = false
        case .backspace:
            if !view.filter.isEmpty { view.filter.removeLast() }
        case .up: move(by: -1)
        case .down: move(by: 1)
        default:
            // The filter is bounded: it is matched against every row on each rebuild.
            if let character = KeyBindings.filterText(key), view.filter.count < 64 {
                view.filter.append(character)
            }
        }
    }

    private var visibleRows: Int {
        view.pane == .tree ? layout.treeRows : layout.faultRows
    }

    /// Scrolls the detail pane, as far as its lines go.
    private mutating func scrollDetail(by delta: Int) {
        let detail = DetailView(state: self, area: layout.detail)
        let most = max(0, detail.content().count - detail.visibleRows)
        view.detailScroll = max(0, min(most, view.detailScroll + delta))
    }

    /// Moves the selection of the focused pane; moving by hand stops following.
    private mutating func move(by delta: Int) {
        view.follows = false
        view.detailScroll = 0
        switch view.pane {
        case .tree where view.tab == .sites:
            view.siteCursor = max(0, min(siteRows.count - 1, view.siteCursor + delta))
        case .tree where view.tab == .warnings:
            view.warningCursor = max(0, min(warningRows.count - 1, view.warningCursor + delta))
        case .tree:
            guard !treeRows.isEmpty else { return }
            view.treeCursor = max(0, min(treeRows.count - 1, view.treeCursor + delta))
            view.selectedRow = treeRows[view.treeCursor].ref
        case .faults:
            guard !faultRows.isEmpty else { return }
            view.faultCursor = max(0, min(faultRows.count - 1, view.faultCursor + delta))
            view.selectedFault = faultRows[view.faultCursor]
        }
    }

    /// The group of the selected row: the group itself, or a task's group.
    var selectedGroup: GroupID? {
        switch selectedTreeRow?.ref {
        case .group(let id): id
        case .task(let id): displayed.tasks[id]?.group
        case .history, nil: nil
        }
    }

    /// Expands or collapses the selected group (`expand` nil toggles). On a task, acts on its group.
    private mutating func toggleSelectedGroup(expand: Bool?) {
        guard view.pane == .tree, !view.showsHistory, let group = selectedGroup else { return }
        let collapse = expand.map { !$0 } ?? !view.collapsed.contains(group)
        if collapse {
            view.collapsed.insert(group)
            view.selectedRow = .group(group)  // its children are about to disappear
        } else {
            view.collapsed.remove(group)
        }
    }

    /// `x` (live): asks to confirm the cancel of the selected task or group, or says why it cannot.
    private mutating func askToCancel() {
        guard mode == .live else {
            notice = "x: actions need a live service (this is a \(mode.rawValue.lowercased()))"
            return
        }
        guard model.acceptsActions else {
            notice = "x: actions are off in this service (it must set MonitorConfiguration.actions; docs/MONITOR.md)"
            return
        }
        switch (view.tab, view.pane, selectedTreeRow?.ref) {
        case (.tree, .tree, .task(let id)?) where displayed.tasks[id]?.phase.hasEnded == false:
            view.pendingCancel = PendingCancel(target: .task(id), label: "\(id) '\(displayed.tasks[id]?.name ?? "")'")
        case (.tree, .tree, .group(let id)?) where displayed.groups[id]?.closedAt == nil:
            view.pendingCancel = PendingCancel(target: .group(id), label: "every child of \(id) '\(displayed.groups[id]?.name ?? "")'")
        default:
            notice = "x: select a running task or an open group in the tree first"
        }
    }

    /// Enter on a site: the tree and the faults show only its children, until Esc.
    private mutating func filterToSelectedSite() {
        guard siteRows.indices.contains(view.siteCursor) else { return }
        view.siteFilter = siteRows[view.siteCursor].site
        view.tab = .tree
        view.showsHistory = false
        view.detailScroll = 0
    }

    /// Enter on a warning: select its task or group in the tree (a site's warning filters to the site).
    private mutating func showSelectedWarning() {
        guard warningRows.indices.contains(view.warningCursor) else { return }
        let warning = warningRows[view.warningCursor]
        view.follows = false
        view.tab = .tree
        view.showsHistory = false
        view.detailScroll = 0
        switch warning.subject {
        case .task(let id):
            guard let task = displayed.tasks[id] else { return }
            view.collapsed.remove(task.group)
            view.selectedRow = .task(id)
        case .group(let id):
            guard displayed.groups[id] != nil else { return }
            view.selectedRow = .group(id)
        case .site(let site):
            view.siteFilter = site
        }
    }

    /// Enter on a fault: select its task in the tree, if it is still there.
    private mutating func showSelectedFaultsTask() {
        guard let fault = selectedFault, displayed.tasks[fault.task] != nil else { return }
        view.follows = false
        view.pane = .tree
        view.detailScroll = 0
        view.showsHistory = false
        view.collapsed.remove(fault.group)
        view.selectedRow = .task(fault.task)
    }
}
