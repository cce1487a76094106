/// The faults list, newest first: when, which task, what went wrong.
struct FaultsView {
    let state: DashboardState
    let area: Rect

    private var focused: Bool { state.view.pane == .faults && !state.view.showsHelp }

    func draw(into screen: inout Screen) {
        let faults = state.displayed.faults
        var details = "\(Format.count(faults.appended))"
        if faults.evicted > 0 { details += " · \(Format.count(faults.evicted)) evicted" }
        PaneTitle.draw("Faults", details: details, focused: focused, in: area, into: &screen)
        let visible = max(0, area.height - 1)
        let rows = state.faultRows
        if rows.isEmpty {
            screen.put(faults.isEmpty ? "no faults" : "nothing matches the filter",
                       x: area.x + 2, y: area.y + 1, limit: area.width - 2, style: .muted)
            return
        }
        var scroll = min(state.view.faultScroll, max(0, rows.count - visible))
        let cursor = min(state.view.faultCursor, rows.count - 1)
        if cursor >= scroll + visible { scroll = cursor - visible + 1 }
        if cursor < scroll { scroll = cursor }
        let right = area.x + area.width
        for (offset, index) in (scroll..<min(rows.count, scroll + visible)).enumerated() {
            guard let fault = faults[number: rows[index]] else { continue }
            let y = area.y + 1 + offset
            var x = area.x + 1
            let (glyph, role) = StatusGlyph.of(fault.kind)
            x += screen.put("\(glyph) ", x: x, y: y, limit: right - x, style: CellStyle(role, bold: true))
            if area.width >= 50 {  // the time is the first thing to go when the pane is narrow
                x += screen.put(Format.clock(fault.endedAt), x: x, y: y, limit: right - x, style: .muted) + 1
            }
            let nameWidth = min(20, max(8, (right - x) / 3))
            screen.put(fault.taskName, x: x, y: y, limit: min(right - x, nameWidth), style: .normal)
            x += nameWidth + 1
            if x < right { screen.put(fault.summary, x: x, y: y, limit: right - x, style: CellStyle(role)) }
            if index == cursor {
                for column in area.x..<right {
                    var style = screen[column, y].style
                    if focused { style.reverse = true } else { style.bold = true }
                    screen.restyle(x: column, y: y, count: 1, style: style)
                }
            }
        }
    }
}
