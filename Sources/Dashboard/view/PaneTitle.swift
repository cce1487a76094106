/// A pane's first row: its name, highlighted when the pane has the keyboard, then details.
enum PaneTitle {
    static func draw(_ title: String, details: String = "", focused: Bool, in area: Rect, into screen: inout Screen) {
        guard area.height > 0 else { return }
        screen.fill("─", x: area.x, y: area.y, count: area.width, style: .muted)
        let style = focused ? CellStyle(.accent, bold: true, reverse: true) : CellStyle.title
        var x = area.x + 1
        x += screen.put(" \(title) ", x: x, y: area.y, limit: area.width - 1, style: style)
        if !details.isEmpty, x + 2 < area.x + area.width {
            screen.put(" \(details) ", x: x + 1, y: area.y, limit: area.x + area.width - x - 1, style: .muted)
        }
    }
}
