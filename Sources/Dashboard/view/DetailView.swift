import GroupEvents

/// Everything about the selection: the selected fault with its stack snippet (from the
/// faults pane, or the fault of the selected task), or the selected task or group.
///
/// A fault is shown whole: its message line by line, its stack with the service's own frames
/// marked `•` and highlighted, and its spawn chain. What does not fit scrolls (`J`, `K`).
struct DetailView {
    let state: DashboardState
    let area: Rect

    private var model: StreamModel { state.displayed }

    /// How many rows the pane has for its lines (its title takes the first).
    var visibleRows: Int { max(0, area.height - 1) }

    func draw(into screen: inout Screen) {
        PaneTitle.draw("Detail", focused: false, in: area, into: &screen)
        let lines = content()
        // Clamped here too: a scroll kept from a longer selection must not show an empty pane.
        let top = min(state.view.detailScroll, max(0, lines.count - visibleRows))
        var y = area.y + 1
        for (offset, line) in lines[top...].enumerated() where y < area.maxY {
            let last = y == area.maxY - 1
            let hidden = lines.count - (top + offset + 1)
            if last && hidden > 0 {
                screen.put("↓ \(hidden + 1) more (J)", x: area.x + 1, y: y, limit: area.width - 1, style: .muted)
            } else if offset == 0 && top > 0 {
                screen.put("↑ \(top + 1) more (K)", x: area.x + 1, y: y, limit: area.width - 1, style: .muted)
            } else {
                line.draw(x: area.x + 1, y: y, width: area.width - 1, into: &screen)
            }
            y += 1
        }
    }

    /// Every line the selection has, before scrolling.
    func content() -> [Line] {
        var lines = Lines()
        switch state.view.pane {
        case .faults:
            if let fault = state.selectedFault {
                describe(fault, into: &lines)
            } else {
                lines.add("select a fault to see its stack", style: .muted)
            }
        case .tree:
            switch state.selectedTreeRow?.ref {
            case .task(let id):
                if let task = model.tasks[id] { describe(task, into: &lines) }
            case .group(let id):
                if let group = model.groups[id] { describe(group, into: &lines) }
            case .history(let number):
                if let entry = model.history[number: number] { describe(entry, into: &lines) }
            case nil:
                lines.add("select a task or a group", style: .muted)
            }
        }
        return lines.all
    }

    private func describe(_ task: TaskRecord, into lines: inout Lines) {
        let (glyph, role) = StatusGlyph.of(task.phase)
        lines.add("\(glyph) \(task.name)", style: CellStyle(role, bold: true))
        let groupName = model.groups[task.group]?.name ?? task.group.description
        var facts = ["\(task.id)", task.phase.word, Format.duration(task.duration(at: state.displayedNow))]
        if task.waitedNanoseconds > 0 { facts.append("waited \(Format.duration(task.waitedNanoseconds))") }
        if task.isolated { facts.append("isolated") }
        if task.wasSlowToCancel { facts.append("slow to cancel") }
        lines.add(facts.joined(separator: " · "), style: .normal)
        lines.add("in \(groupName) (\(task.group))", style: .muted)
        lines.add("spawned at \(task.site)", style: .muted)
        if let number = task.faultNumber, let fault = model.faults[number: number] {
            describeFailure(fault, into: &lines)
        } else if task.faultNumber != nil {
            lines.add("its fault was evicted from the list", style: .muted)
        }
    }

    private func describe(_ fault: FaultRecord, into lines: inout Lines) {
        let (glyph, role) = StatusGlyph.of(fault.kind)
        lines.add("\(glyph) \(fault.taskName)", style: CellStyle(role, bold: true))
        var facts = ["\(fault.task)", fault.kind.rawValue, Format.duration(fault.endedAt.nanoseconds(since: fault.startedAt))]
        if let signal = fault.signal { facts.append("signal \(signal)") }
        lines.add(facts.joined(separator: " · "), style: .normal)
        lines.add("in \(fault.groupName) (\(fault.group))", style: .muted)
        lines.add("spawned at \(fault.site)", style: .muted)
        describeFailure(fault, into: &lines)
    }

    /// The error, its message line by line, the stack snippet and the spawn chain.
    private func describeFailure(_ fault: FaultRecord, into lines: inout Lines) {
        let role = StatusGlyph.of(fault.kind).role
        let error = fault.errorType.isEmpty ? fault.kind.rawValue : fault.errorType
        lines.add(error, style: CellStyle(role, bold: true))
        let width = max(1, area.width - 3)
        for messageLine in fault.messageLines {
            // A line's own indentation (a nested group's list) is kept, under the pane's.
            let indent = min(messageLine.prefix { $0 == " " }.count, width / 2)
            let text = String(messageLine.dropFirst(indent))
            // Wrapped parts hang under the first, two columns in.
            for (part, wrapped) in Format.wrap(text, width: max(1, width - indent - 2), maxLines: 8).enumerated() {
                lines.add(wrapped, style: CellStyle(role), indent: 2 + indent + (part == 0 ? 0 : 2))
            }
        }
        if fault.stack.isEmpty {
            lines.add("no stack (\(fault.stackOrigin))", style: .muted)
        } else {
            lines.add("stack (\(fault.stackOrigin)):", style: .muted)
            for frame in fault.stack {
                // The service's own frames stand out; libraries' and the runtime's recede.
                let style = frame.isUserCode ? CellStyle(.accent, bold: true) : CellStyle.muted
                let symbol = (frame.isUserCode ? "• " : "  ") + frame.symbol
                // One line per frame when symbol and location fit side by side, else two.
                let oneLine = DisplayWidth.of(symbol) + DisplayWidth.of(frame.location) + 2 <= area.width - 3
                if oneLine || frame.location.isEmpty {
                    lines.add(symbol, style: style, indent: 2, trailer: frame.location)
                } else {
                    lines.add(symbol, style: style, indent: 2)
                    lines.add("at \(frame.location)", style: .muted, indent: 6)
                }
            }
        }
        describeChain(fault.chain, into: &lines)
    }

    /// `t42 charge-card   spawned at Checkout/Handler.swift:57`, then its group, and so on up.
    private func describeChain(_ chain: [FaultRecord.ChainLink], into lines: inout Lines) {
        guard !chain.isEmpty else { return }
        lines.add("spawn chain:", style: .muted)
        for link in chain {
            let name = link.name.isEmpty || link.name == link.id ? link.id : "\(link.id) \(link.name)"
            let trailer: String
            switch (link.kind, link.site.isEmpty) {
            case (.task, false): trailer = "spawned at \(link.site)"
            case (.group, false): trailer = "opened at \(link.site)"
            case (.task, true): trailer = "(spawned before this viewer saw it)"
            case (.group, true): trailer = "(opened before this viewer saw it)"
            }
            lines.add(name, style: .normal, indent: 2, trailer: trailer)
        }
    }

    private func describe(_ group: GroupRecord, into lines: inout Lines) {
        let (glyph, role) = StatusGlyph.of(group)
        lines.add("\(glyph) \(group.name)", style: CellStyle(role, bold: true))
        var facts = ["\(group.id)", group.closedAt == nil ? "open" : "closed"]
        if let outcome = group.outcome { facts.append(outcome.rawValue) }
        if let policy = group.policy { facts.append(policy.rawValue) }
        if let limit = group.limit { facts.append("limit \(limit)") }
        lines.add(facts.joined(separator: " · "), style: .normal)
        lines.add("children \(Format.count(group.childCount)) · running \(Format.count(group.running)) · "
                  + "waiting \(Format.count(group.waiting)) · faults \(Format.count(group.faults))",
                  style: CellStyle(group.faults > 0 ? .failed : .normal))
        if let cancellation = group.cancellation {
            lines.add("cancelled: " + TreeView.describe(cancellation, in: model), style: CellStyle(.cancelled))
        }
        if group.isPlaceholder {
            lines.add("opened before this viewer saw it", style: .muted)
        } else {
            lines.add("opened at \(group.site)", style: .muted)
        }
        if let parent = group.parentTask {
            let name = model.tasks[parent]?.name
            lines.add("inside task " + (name.map { "\($0) (\(parent))" } ?? "\(parent)"), style: .muted)
        }
    }

    private func describe(_ entry: CompletedTask, into lines: inout Lines) {
        let (glyph, role) = StatusGlyph.of(entry.status)
        lines.add("\(glyph) \(entry.name)", style: CellStyle(role, bold: true))
        lines.add("\(entry.id) · \(entry.status.rawValue) · \(Format.duration(entry.durationNanoseconds))", style: .normal)
        lines.add("in \(entry.groupName)", style: .muted)
        lines.add("spawned at \(entry.site)", style: .muted)
        lines.add("ended at \(Format.clock(entry.endedAt))", style: .muted)
        if let number = entry.faultNumber, let fault = model.faults[number: number] {
            describeFailure(fault, into: &lines)
        }
    }

    /// One line of the pane: text, then an optional muted trailer two columns after it.
    struct Line {
        var text: String
        var style: CellStyle
        var indent: Int
        var trailer: String

        func draw(x: Int, y: Int, width: Int, into screen: inout Screen) {
            let left = x + indent
            let used = screen.put(text, x: left, y: y, limit: width - indent, style: style)
            if !trailer.isEmpty {
                screen.put(trailer, x: left + used + 2, y: y, limit: x + width - (left + used + 2), style: .muted)
            }
        }
    }

    /// The pane's lines, in order.
    struct Lines {
        /// Bounds what one selection can make the pane hold (a hostile stream's long chain or message).
        static let limit = 2_000
        private(set) var all: [Line] = []

        mutating func add(_ text: String, style: CellStyle, indent: Int = 0, trailer: String = "") {
            guard all.count < Self.limit else { return }
            all.append(Line(text: text, style: style, indent: indent, trailer: trailer))
        }
    }
}
