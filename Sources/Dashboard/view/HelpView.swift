/// The `?` overlay: every key of the current mode, in a box over the middle of the screen.
/// Sections flow into a second column when one does not fit the height.
struct HelpView {
    let mode: DashboardMode
    let size: TerminalSize

    func draw(into screen: inout Screen) {
        var lines: [(String, String, Bool)] = []  // keys, action, is a section title
        for (index, section) in KeyBindings.help(for: mode).enumerated() {
            if index > 0 { lines.append(("", "", false)) }
            lines.append((section.section, "", true))
            for entry in section.entries { lines.append((entry.keys, entry.action, false)) }
        }
        let innerHeight = min(lines.count, size.rows - 4)
        let columns = (lines.count + innerHeight - 1) / max(1, innerHeight)
        let boxWidth = min(size.columns - 2, columns == 1 ? 64 : size.columns - 4)
        let boxHeight = min(size.rows - 2, lines.count / columns + lines.count % columns + 3)
        let left = (size.columns - boxWidth) / 2
        let top = (size.rows - boxHeight) / 2
        let border = CellStyle(.accent, bold: true)
        for y in top..<(top + boxHeight) {
            screen.fill(x: left, y: y, count: boxWidth)
            screen.set(left, y, Cell("│", style: border))
            screen.set(left + boxWidth - 1, y, Cell("│", style: border))
        }
        screen.fill("─", x: left + 1, y: top, count: boxWidth - 2, style: border)
        screen.fill("─", x: left + 1, y: top + boxHeight - 1, count: boxWidth - 2, style: border)
        screen.set(left, top, Cell("┌", style: border))
        screen.set(left + boxWidth - 1, top, Cell("┐", style: border))
        screen.set(left, top + boxHeight - 1, Cell("└", style: border))
        screen.set(left + boxWidth - 1, top + boxHeight - 1, Cell("┘", style: border))
        screen.put(" Keys ", x: left + 2, y: top, style: CellStyle(.accent, bold: true, reverse: true))
        screen.put(" any key closes ", x: left + boxWidth - 18, y: top + boxHeight - 1, style: .muted)

        let rowsPerColumn = boxHeight - 2
        let columnWidth = (boxWidth - 2) / columns
        for (index, line) in lines.enumerated() {
            let column = index / rowsPerColumn
            guard column < columns else { break }
            let x = left + 2 + column * columnWidth
            let y = top + 1 + index % rowsPerColumn
            if line.2 {
                screen.put(line.0, x: x, y: y, limit: columnWidth - 2, style: .title)
            } else {
                screen.put(line.0, x: x, y: y, limit: 11, style: CellStyle(.accent, bold: true))
                screen.put(line.1, x: x + 12, y: y, limit: columnWidth - 14, style: .normal)
            }
        }
    }
}
