import GroupEvents

/// Everything about the selection: the selected fault with its stack snippet (from the
/// faults pane, or the fault of the selected task), or the selected task or group.
struct DetailView {
    let state: DashboardState
    let area: Rect

    private var model: StreamModel { state.displayed }

    func draw(into screen: inout Screen) {
        PaneTitle.draw("Detail", focused: false, in: area, into: &screen)
        var lines = Lines(area: area)
        switch state.view.pane {
        case .faults:
            if let fault = state.selectedFault {
                describe(fault, into: &lines, screen: &screen)
            } else {
                lines.add("select a fault to see its stack", style: .muted, screen: &screen)
            }
        case .tree:
            switch state.selectedTreeRow?.ref {
            case .task(let id):
                if let task = model.tasks[id] { describe(task, into: &lines, screen: &screen) }
            case .group(let id):
                if let group = model.groups[id] { describe(group, into: &lines, screen: &screen) }
            case .history(let number):
                if let entry = model.history[number: number] { describe(entry, into: &lines, screen: &screen) }
            case nil:
                lines.add("select a task or a group", style: .muted, screen: &screen)
            }
        }
    }

    private func describe(_ task: TaskRecord, into lines: inout Lines, screen: inout Screen) {
        let (glyph, role) = StatusGlyph.of(task.phase)
        lines.add("\(glyph) \(task.name)", style: CellStyle(role, bold: true), screen: &screen)
        let groupName = model.groups[task.group]?.name ?? task.group.description
        var facts = ["\(task.id)", task.phase.word, Format.duration(task.duration(at: state.displayedNow))]
        if task.waitedNanoseconds > 0 { facts.append("waited \(Format.duration(task.waitedNanoseconds))") }
        if task.isolated { facts.append("isolated") }
        if task.wasSlowToCancel { facts.append("slow to cancel") }
        lines.add(facts.joined(separator: " · "), style: .normal, screen: &screen)
        lines.add("in \(groupName) (\(task.group))", style: .muted, screen: &screen)
        lines.add("spawned at \(task.site)", style: .muted, screen: &screen)
        if let number = task.faultNumber, let fault = model.faults[number: number] {
            describeFailure(fault, into: &lines, screen: &screen)
        } else if task.faultNumber != nil {
            lines.add("its fault was evicted from the list", style: .muted, screen: &screen)
        }
    }

    private func describe(_ fault: FaultRecord, into lines: inout Lines, screen: inout Screen) {
        let (glyph, role) = StatusGlyph.of(fault.kind)
        lines.add("\(glyph) \(fault.taskName)", style: CellStyle(role, bold: true), screen: &screen)
        var facts = ["\(fault.task)", fault.kind.rawValue, Format.duration(fault.endedAt.nanoseconds(since: fault.startedAt))]
        if let signal = fault.signal { facts.append("signal \(signal)") }
        lines.add(facts.joined(separator: " · "), style: .normal, screen: &screen)
        lines.add("in \(fault.groupName) (\(fault.group))", style: .muted, screen: &screen)
        lines.add("spawned at \(fault.site)", style: .muted, screen: &screen)
        describeFailure(fault, into: &lines, screen: &screen)
    }

    /// The error and the stack snippet: symbol, then `file:line` under it.
    private func describeFailure(_ fault: FaultRecord, into lines: inout Lines, screen: inout Screen) {
        let role = StatusGlyph.of(fault.kind).role
        let error = fault.errorType.isEmpty ? fault.kind.rawValue : fault.errorType
        lines.add(error, style: CellStyle(role, bold: true), screen: &screen)
        for line in Format.wrap(fault.message, width: max(1, area.width - 3), maxLines: 3) {
            lines.add(line, style: CellStyle(role), indent: 2, screen: &screen)
        }
        if fault.stack.isEmpty {
            lines.add("no stack (\(fault.stackOrigin))", style: .muted, screen: &screen)
            return
        }
        lines.add("stack (\(fault.stackOrigin)):", style: .muted, screen: &screen)
        for frame in fault.stack {
            // One line per frame when symbol and location fit side by side, else two.
            let oneLine = DisplayWidth.of(frame.symbol) + DisplayWidth.of(frame.location) + 2 <= area.width - 3
            if oneLine || frame.location.isEmpty {
                lines.add(frame.symbol, style: .normal, indent: 2, trailer: frame.location, screen: &screen)
            } else {
                lines.add(frame.symbol, style: .normal, indent: 2, screen: &screen)
                lines.add("at \(frame.location)", style: .muted, indent: 4, screen: &screen)
            }
        }
    }

    private func describe(_ group: GroupRecord, into lines: inout Lines, screen: inout Screen) {
        let (glyph, role) = StatusGlyph.of(group)
        lines.add("\(glyph) \(group.name)", style: CellStyle(role, bold: true), screen: &screen)
        var facts = ["\(group.id)", group.closedAt == nil ? "open" : "closed"]
        if let outcome = group.outcome { facts.append(outcome.rawValue) }
        if let policy = group.policy { facts.append(policy.rawValue) }
        if let limit = group.limit { facts.append("limit \(limit)") }
        lines.add(facts.joined(separator: " · "), style: .normal, screen: &screen)
        lines.add("children \(Format.count(group.childCount)) · running \(Format.count(group.running)) · "
                  + "waiting \(Format.count(group.waiting)) · faults \(Format.count(group.faults))",
                  style: CellStyle(group.faults > 0 ? .failed : .normal), screen: &screen)
        if let cancellation = group.cancellation {
            lines.add("cancelled: " + TreeView.describe(cancellation, in: model), style: CellStyle(.cancelled), screen: &screen)
        }
        if group.isPlaceholder {
            lines.add("opened before this viewer saw it", style: .muted, screen: &screen)
        } else {
            lines.add("opened at \(group.site)", style: .muted, screen: &screen)
        }
        if let parent = group.parentTask {
            let name = model.tasks[parent]?.name
            lines.add("inside task " + (name.map { "\($0) (\(parent))" } ?? "\(parent)"), style: .muted, screen: &screen)
        }
    }

    private func describe(_ entry: CompletedTask, into lines: inout Lines, screen: inout Screen) {
        let (glyph, role) = StatusGlyph.of(entry.status)
        lines.add("\(glyph) \(entry.name)", style: CellStyle(role, bold: true), screen: &screen)
        lines.add("\(entry.id) · \(entry.status.rawValue) · \(Format.duration(entry.durationNanoseconds))", style: .normal, screen: &screen)
        lines.add("in \(entry.groupName)", style: .muted, screen: &screen)
        lines.add("spawned at \(entry.site)", style: .muted, screen: &screen)
        lines.add("ended at \(Format.clock(entry.endedAt))", style: .muted, screen: &screen)
        if let number = entry.faultNumber, let fault = model.faults[number: number] {
            describeFailure(fault, into: &lines, screen: &screen)
        }
    }

    /// Writes successive lines into the pane until it is full.
    private struct Lines {
        let area: Rect
        var next: Int

        init(area: Rect) {
            self.area = area
            self.next = area.y + 1
        }

        /// Adds a line; `trailer` follows the text, muted, two columns after it.
        mutating func add(_ text: String, style: CellStyle, indent: Int = 0, trailer: String = "", screen: inout Screen) {
            guard next < area.maxY else { return }
            let x = area.x + 1 + indent
            let used = screen.put(text, x: x, y: next, limit: area.width - 1 - indent, style: style)
            if !trailer.isEmpty {
                screen.put(trailer, x: x + used + 2, y: next, limit: area.maxX - (x + used + 2), style: .muted)
            }
            next += 1
        }
    }
}
