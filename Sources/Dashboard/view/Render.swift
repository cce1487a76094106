/// Draws the dashboard at `size`: a pure function of the state, which it only reads.
///
/// Cost is proportional to the screen, not to the state: the tree pane reads only the rows
/// it shows from ``DashboardState/treeRows``.
public func render(_ state: DashboardState, size: TerminalSize) -> Screen {
    var screen = Screen(size: size)
    guard size.isUsable else {
        TooSmallView(size: size).draw(into: &screen)
        return screen
    }
    let layout = Layout(size: size, mode: state.mode)
    HeaderView(state: state, area: layout.header).draw(into: &screen)
    switch state.view.tab {
    case .tree: TreeView(state: state, area: layout.tree).draw(into: &screen)
    case .sites: SitesView(state: state, area: layout.tree).draw(into: &screen)
    case .warnings: WarningsView(state: state, area: layout.tree).draw(into: &screen)
    }
    FaultsView(state: state, area: layout.faults).draw(into: &screen)
    DetailView(state: state, area: layout.detail).draw(into: &screen)
    SparklineView(state: state, area: layout.sparkline).draw(into: &screen)
    // The separators between side-by-side panes.
    if layout.faults.y == layout.detail.y {
        for y in layout.faults.y..<layout.faults.maxY { screen.set(layout.detail.x - 1, y, Cell("│", style: .muted)) }
    } else {
        for y in layout.tree.y..<layout.tree.maxY { screen.set(layout.tree.width, y, Cell("│", style: .muted)) }
    }
    FooterView(state: state, area: layout.footer).draw(into: &screen)
    if state.view.showsHelp { HelpView(mode: state.mode, size: size).draw(into: &screen) }
    return screen
}

/// What a terminal below ``TerminalSize/minimum`` shows instead of the dashboard.
struct TooSmallView {
    let size: TerminalSize

    func draw(into screen: inout Screen) {
        let message = "safegroup needs at least \(TerminalSize.minimum); this terminal is \(size). Enlarge it or press q."
        let lines = Format.wrap(message, width: max(1, size.columns - 2), maxLines: max(1, size.rows))
        let top = max(0, (size.rows - lines.count) / 2)
        for (offset, line) in lines.enumerated() {
            let x = max(0, (size.columns - DisplayWidth.of(line)) / 2)
            screen.put(line, x: x, y: top + offset, style: CellStyle(.warning, bold: true))
        }
    }
}
