/// A rectangle of the screen.
struct Rect: Hashable, Sendable {
    var x: Int
    var y: Int
    var width: Int
    var height: Int

    static let empty = Rect(x: 0, y: 0, width: 0, height: 0)
    var maxY: Int { y + height }
    var maxX: Int { x + width }
}

/// Where each pane goes for a terminal size. Pure, shared by the reducer (how many tree rows
/// are visible, for scrolling) and the renderer.
///
/// Narrow terminals (under 120 columns) stack the tree above the faults list and the detail
/// pane side by side; wide ones put the tree on the left and faults, detail and sparklines on
/// the right. Each pane's first row is its title.
struct Layout: Hashable, Sendable {
    var header: Rect
    var tree: Rect
    var faults: Rect
    var detail: Rect
    var sparkline: Rect
    var footer: Rect

    static let wideColumns = 120

    init(size: TerminalSize, mode: DashboardMode) {
        let width = size.columns
        let headerHeight = mode == .replay ? 3 : 2
        header = Rect(x: 0, y: 0, width: width, height: headerHeight)
        footer = Rect(x: 0, y: size.rows - 1, width: width, height: 1)
        let top = headerHeight
        let bodyHeight = max(0, size.rows - headerHeight - 1)
        if width >= Self.wideColumns {
            let left = width * 3 / 5
            let right = width - left - 1  // one column for the separator
            tree = Rect(x: 0, y: top, width: left, height: bodyHeight)
            let sparkHeight = 4
            let faultsHeight = max(4, (bodyHeight - sparkHeight) * 2 / 5)
            faults = Rect(x: left + 1, y: top, width: right, height: faultsHeight)
            sparkline = Rect(x: left + 1, y: top + bodyHeight - sparkHeight, width: right, height: sparkHeight)
            detail = Rect(x: left + 1, y: faults.maxY, width: right, height: max(0, sparkline.y - faults.maxY))
        } else {
            // Short terminals get the three sparklines side by side on one row.
            let sparkHeight = size.rows >= 30 ? 3 : 1
            let rest = max(0, bodyHeight - sparkHeight)
            let treeHeight = rest * 11 / 20
            tree = Rect(x: 0, y: top, width: width, height: treeHeight)
            let bottom = rest - treeHeight
            let faultsWidth = width * 9 / 20
            faults = Rect(x: 0, y: tree.maxY, width: faultsWidth, height: bottom)
            detail = Rect(x: faultsWidth + 1, y: tree.maxY, width: width - faultsWidth - 1, height: bottom)
            sparkline = Rect(x: 0, y: tree.maxY + bottom, width: width, height: sparkHeight)
        }
    }

    /// Rows of the tree pane below its title.
    var treeRows: Int { max(0, tree.height - 1) }
    /// Rows of the faults pane below its title.
    var faultRows: Int { max(0, faults.height - 1) }
}
