import GroupEvents

/// The group and task tree (or, with `h`, the history of ended tasks).
///
/// Draws only the visible slice of ``DashboardState/treeRows``: each row is looked up by id,
/// so a frame costs the same with a hundred tasks or a hundred thousand.
struct TreeView {
    let state: DashboardState
    let area: Rect

    private var model: StreamModel { state.displayed }
    private var now: MonotonicTime { state.displayedNow }
    private var focused: Bool { state.view.pane == .tree && !state.view.showsHelp }

    func draw(into screen: inout Screen) {
        drawTitle(into: &screen)
        let visible = max(0, area.height - 1)
        let rows = state.treeRows
        if rows.isEmpty {
            let text = state.view.filter.isEmpty ? (state.view.showsHistory ? "no ended tasks yet" : "no groups yet")
                                                 : "nothing matches the filter"
            screen.put(text, x: area.x + 2, y: area.y + 1, limit: area.width - 2, style: .muted)
            return
        }
        // The reducer scrolled for the size it knew; keep the cursor visible at this size too.
        var scroll = min(state.view.treeScroll, max(0, rows.count - visible))
        let cursor = min(state.view.treeCursor, rows.count - 1)
        if cursor >= scroll + visible { scroll = cursor - visible + 1 }
        if cursor < scroll { scroll = cursor }
        for (offset, index) in (scroll..<min(rows.count, scroll + visible)).enumerated() {
            let y = area.y + 1 + offset
            drawRow(rows[index], y: y, into: &screen)
            if index == cursor {
                for x in area.x..<(area.x + area.width) {
                    var style = screen[x, y].style
                    if focused { style.reverse = true } else { style.bold = true }
                    screen.restyle(x: x, y: y, count: 1, style: style)
                }
            }
        }
    }

    private func drawTitle(into screen: inout Screen) {
        var details: [String] = []
        if state.view.showsHistory {
            details.append("\(Format.count(model.history.count)) ended")
        } else {
            details.append("\(Format.count(model.groups.count)) groups, \(Format.count(model.tasks.count)) tasks")
        }
        details.append("sort: \(state.view.sort.title)")
        if !state.view.filter.isEmpty || state.view.isEditingFilter { details.append("filter: \(state.view.filter)") }
        if state.view.follows { details.append("following") }
        if let site = state.view.siteFilter { details.append("site: \(site)") }
        PaneTitle.draw(state.view.showsHistory ? "History" : "Tasks", details: details.joined(separator: " · ") + " " + TabStrip.text(state),
                       focused: focused, in: area, into: &screen)
    }

    private func drawRow(_ row: TreeRow, y: Int, into screen: inout Screen) {
        switch row.ref {
        case .group(let id):
            if let group = model.groups[id] { drawGroup(group, depth: row.depth, y: y, into: &screen) }
        case .task(let id):
            if let task = model.tasks[id] { drawTask(task, depth: row.depth, y: y, into: &screen) }
        case .history(let number):
            if let entry = model.history[number: number] { drawHistory(entry, y: y, into: &screen) }
        }
    }

    /// Where the columns of a task row go, for this pane width.
    private var showsSite: Bool { area.width >= 90 }
    private var nameWidth: Int { area.width >= 90 ? 28 : max(12, area.width / 3) }
    private static let durationWidth = 8
    private static let siteWidth = 32

    private func drawGroup(_ group: GroupRecord, depth: Int, y: Int, into screen: inout Screen) {
        let right = area.x + area.width
        var x = area.x + 1 + 2 * depth
        let expanded = !state.view.collapsed.contains(group.id)
        x += screen.put(expanded ? "▾ " : "▸ ", x: x, y: y, limit: right - x, style: .muted)
        let (glyph, role) = StatusGlyph.of(group)
        x += screen.put("\(glyph) ", x: x, y: y, limit: right - x, style: CellStyle(role))
        x += screen.put(group.name, x: x, y: y, limit: min(right - x, nameWidth + 8), style: CellStyle(.normal, bold: true))
        x += screen.put("  \(group.id)", x: x, y: y, limit: right - x, style: .muted)
        var health = ["\(Format.count(group.childCount)) children"]
        if group.running > 0 { health.append("\(Format.count(group.running)) running") }
        if group.waiting > 0 { health.append("\(Format.count(group.waiting)) waiting") }
        if group.faults > 0 { health.append("\(Format.count(group.faults)) fault" + (group.faults == 1 ? "" : "s")) }
        if let cancellation = group.cancellation { health.append("cancelled: " + Self.describe(cancellation, in: model)) }
        if let outcome = group.outcome, group.cancellation == nil { health.append(outcome.rawValue) }
        if let kinds = model.health?.warnedSubjects[.group(group.id)] {
            x += 1 + screen.put(" ⚠ " + kinds.map(\.rawValue).joined(separator: ","), x: x, y: y, limit: right - x, style: CellStyle(.warning, bold: true))
        }
        x += 2
        screen.put(health.joined(separator: " · "), x: x, y: y, limit: right - x,
                   style: CellStyle(group.faults > 0 ? .failed : .muted))
    }

    private func drawTask(_ task: TaskRecord, depth: Int, y: Int, into screen: inout Screen) {
        let right = area.x + area.width
        var x = area.x + 1 + 2 * depth
        let (glyph, role) = StatusGlyph.of(task.phase)
        x += screen.put("\(glyph) ", x: x, y: y, limit: right - x, style: CellStyle(role, bold: true))
        let nameColumns = max(1, nameWidth - 2 * depth)
        screen.put(task.name, x: x, y: y, limit: min(right - x, nameColumns), style: CellStyle(task.phase.hasEnded ? .muted : .normal))
        x += nameColumns + 1
        guard x < right else { return }
        let duration = Format.duration(task.duration(at: now))
        let padded = String(repeating: " ", count: max(0, Self.durationWidth - duration.count)) + duration
        x += screen.put(padded, x: x, y: y, limit: right - x, style: CellStyle(task.phase == .running ? .running : .muted)) + 2
        if showsSite, x < right {
            screen.put(task.site, x: x, y: y, limit: min(right - x, Self.siteWidth), style: .muted)
            x += Self.siteWidth + 1
        }
        guard x < right else { return }
        var summary = ""
        if let number = task.faultNumber, let fault = model.faults[number: number] {
            summary = fault.summary
        } else if task.wasSlowToCancel {
            summary = "slow to cancel"
        } else if task.phase == .waiting {
            summary = "waiting for a slot"
        }
        if task.isolated { summary = summary.isEmpty ? "isolated" : "isolated · " + summary }
        if let kinds = model.health?.warnedSubjects[.task(task.id)] {
            x += screen.put("⚠ " + kinds.map(\.rawValue).joined(separator: ",") + " ", x: x, y: y, limit: right - x,
                            style: CellStyle(.warning, bold: true))
            guard x < right else { return }
        }
        screen.put(summary, x: x, y: y, limit: right - x, style: CellStyle(role))
    }

    private func drawHistory(_ entry: CompletedTask, y: Int, into screen: inout Screen) {
        let right = area.x + area.width
        var x = area.x + 1
        let (glyph, role) = StatusGlyph.of(entry.status)
        x += screen.put("\(glyph) ", x: x, y: y, style: CellStyle(role, bold: true))
        screen.put(entry.name, x: x, y: y, limit: min(right - x, nameWidth), style: .normal)
        x += nameWidth + 1
        guard x < right else { return }
        let duration = Format.duration(entry.durationNanoseconds)
        x += screen.put(String(repeating: " ", count: max(0, Self.durationWidth - duration.count)) + duration,
                        x: x, y: y, limit: right - x, style: .muted) + 2
        guard x < right else { return }
        x += screen.put("ended \(Format.clock(entry.endedAt))", x: x, y: y, limit: right - x, style: .muted) + 2
        guard x < right else { return }
        screen.put("in \(entry.groupName)", x: x, y: y, limit: right - x, style: .muted)
    }

    /// What cancelled a group, in words.
    static func describe(_ cause: CancellationCause, in model: StreamModel) -> String {
        switch cause {
        case .parentCancelled: return "parent cancelled"
        case .requested: return "requested"
        case .gracefulShutdown: return "graceful shutdown"
        case .fault(let task):
            if let name = model.tasks[task]?.name { return "fault in \(name) (\(task))" }
            return "fault in \(task)"
        }
    }
}
