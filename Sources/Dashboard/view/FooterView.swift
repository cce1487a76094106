/// The last row: the filter being typed, a notice from the runner, or the main keys.
struct FooterView {
    let state: DashboardState
    let area: Rect

    func draw(into screen: inout Screen) {
        let y = area.y
        screen.fill(x: area.x, y: y, count: area.width, style: CellStyle(.normal, reverse: true))
        let bar = CellStyle(.normal, reverse: true)
        if state.view.isEditingFilter {
            var x = area.x + screen.put(" filter: ", x: area.x, y: y, style: CellStyle(.accent, bold: true, reverse: true))
            x += screen.put(state.view.filter, x: x, y: y, limit: max(0, area.width - x - 30), style: bar)
            x += screen.put("▏", x: x, y: y, style: bar)
            screen.put("  Enter keep · Esc clear", x: x, y: y, style: bar)
            return
        }
        if let pending = state.view.pendingCancel {
            var x = area.x + screen.put(" cancel \(pending.label)? ", x: area.x, y: y, limit: area.width * 2 / 3,
                                        style: CellStyle(.warning, bold: true, reverse: true))
            x += screen.put(" y", x: x, y: y, style: CellStyle(.accent, bold: true, reverse: true))
            screen.put(" confirm · any other key keeps it", x: x, y: y, limit: max(0, area.width - x), style: bar)
            return
        }
        var x = area.x
        if let notice = state.notice {
            x += screen.put(" \(notice) ", x: x, y: y, limit: area.width / 2, style: CellStyle(.warning, bold: true, reverse: true)) + 1
        }
        var keys: [(String, String)] = [("?", "help"), ("q", "quit"), ("/", "filter"), ("s", "sort"), ("f", "follow"),
                                        ("p", state.view.isPaused ? "resume" : "pause"), ("Tab", "pane"), ("Enter", "expand"), ("1-3", "views")]
        switch state.mode {
        case .replay: keys.insert(contentsOf: [("Space", "play"), ("←→", "seek"), ("n", "next fault")], at: 2)
        case .demo: keys.insert(contentsOf: [("e", "error"), ("t", "timeout"), ("b", "burst")], at: 2)
        case .live: break
        }
        for (key, action) in keys {
            let width = DisplayWidth.of(key) + DisplayWidth.of(action) + 3
            guard x + width <= area.x + area.width else { break }
            x += screen.put(" \(key)", x: x, y: y, style: CellStyle(.accent, bold: true, reverse: true))
            x += screen.put(" \(action) ", x: x, y: y, style: bar)
        }
    }
}
