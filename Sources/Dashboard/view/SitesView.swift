import GroupEvents
import GroupHealth

/// The sites view (`2`): one row per spawn site with its children's counts, fault rate over
/// the last minute and duration percentiles over the sliding window, sorted by a column.
///
/// Draws the visible slice of ``DashboardState/siteRows``; the percentiles are those of the
/// site's last refresh (``SiteStatistics/summary``): with many busy sites, a second or two old.
struct SitesView {
    let state: DashboardState
    let area: Rect

    private var focused: Bool { state.view.pane == .tree && !state.view.showsHelp }

    /// The numeric columns, each right-aligned in its width; the site takes what is left.
    /// Narrow panes drop the columns at the end of this list first.
    static let columns: [(column: SiteColumn, width: Int)] = [
        (.started, 7), (.running, 5), (.failed, 5), (.timedOut, 5), (.faultRate, 8), (.p50, 7), (.p99, 7), (.ok, 7),
        (.crashed, 5), (.cancelled, 5), (.p90, 7), (.max, 7), (.wait, 8),
    ]
    /// The site keeps two fifths of the pane (22 to 40 columns): it is what the row is about.
    static func minimumSiteWidth(in width: Int) -> Int { min(40, max(22, width * 2 / 5)) }

    /// The columns that fit `width`, in the order drawn (started…wait).
    static func shown(in width: Int) -> [(column: SiteColumn, width: Int)] {
        var chosen: [(column: SiteColumn, width: Int)] = []
        var used = minimumSiteWidth(in: width) + 2
        for entry in columns where used + entry.width + 1 <= width {
            chosen.append(entry)
            used += entry.width + 1
        }
        let order = SiteColumn.allCases
        return chosen.sorted { order.firstIndex(of: $0.column)! < order.firstIndex(of: $1.column)! }
    }

    func draw(into screen: inout Screen) {
        let health = state.displayed.health
        var details = ["\(Format.count(health?.siteCount ?? 0)) sites"]
        if let evicted = health?.evictedSites, evicted > 0 { details.append("\(Format.count(evicted)) evicted") }
        details.append("sort: \(state.view.siteSort.title) \(state.view.siteSortReversed ? "↑" : "↓")")
        if !state.view.filter.isEmpty { details.append("filter: \(state.view.filter)") }
        PaneTitle.draw("Sites", details: details.joined(separator: " · ") + " " + TabStrip.text(state), focused: focused, in: area, into: &screen)
        guard area.height > 1 else { return }
        guard health != nil else {
            screen.put("statistics are off (--allow all?)", x: area.x + 2, y: area.y + 1, limit: area.width - 2, style: .muted)
            return
        }
        let columns = Self.shown(in: area.width)
        let siteWidth = area.width - 2 - columns.reduce(0) { $0 + $1.width + 1 }
        // The headings, the sort column's in the accent style.
        let headY = area.y + 1
        var x = area.x + 1
        let sortStyle = CellStyle(.accent, bold: true)
        screen.put("site", x: x, y: headY, limit: siteWidth, style: state.view.siteSort == .site ? sortStyle : .title)
        x += siteWidth + 1
        for (column, width) in columns {
            let title = column.title
            screen.put(String(repeating: " ", count: max(0, width - DisplayWidth.of(title))) + title, x: x, y: headY, limit: width,
                       style: state.view.siteSort == column ? sortStyle : .title)
            x += width + 1
        }
        let visible = max(0, area.height - 2)
        let rows = state.siteRows
        if rows.isEmpty {
            screen.put(health!.siteCount == 0 ? "no spawn sites yet" : "nothing matches the filter",
                       x: area.x + 2, y: area.y + 2, limit: area.width - 2, style: .muted)
            return
        }
        var scroll = min(state.view.siteScroll, max(0, rows.count - visible))
        let cursor = min(state.view.siteCursor, rows.count - 1)
        if cursor >= scroll + visible { scroll = cursor - visible + 1 }
        if cursor < scroll { scroll = cursor }
        for (offset, index) in (scroll..<min(rows.count, scroll + visible)).enumerated() {
            let site = rows[index]
            let y = area.y + 2 + offset
            var x = area.x + 1
            let warned = health!.warnedSubjects[.site(site.site)] != nil
            let role: ColorRole = warned ? .warning : (site.failed + site.timedOut + site.crashed > 0 ? .failed : .normal)
            screen.put((warned ? "⚠ " : "") + site.site, x: x, y: y, limit: siteWidth, style: CellStyle(role))
            x += siteWidth + 1
            for (column, width) in columns {
                let text = column.text(of: site)
                screen.put(String(repeating: " ", count: max(0, width - DisplayWidth.of(text))) + text, x: x, y: y, limit: width,
                           style: Self.style(column, of: site))
                x += width + 1
            }
            if index == cursor {
                for column in area.x..<(area.x + area.width) {
                    var style = screen[column, y].style
                    if focused { style.reverse = true } else { style.bold = true }
                    screen.restyle(x: column, y: y, count: 1, style: style)
                }
            }
        }
    }

    private static func style(_ column: SiteColumn, of site: SiteStatistics) -> CellStyle {
        switch column {
        case .failed where site.failed > 0: CellStyle(.failed)
        case .timedOut where site.timedOut > 0: CellStyle(.timedOut)
        case .crashed where site.crashed > 0: CellStyle(.crashed, bold: true)
        case .faultRate where site.summary.faultRate > 0: CellStyle(.failed, bold: true)
        case .running where site.running > 0: CellStyle(.running)
        default: .normal
        }
    }
}

extension SiteColumn {
    /// A cell's text as the sites view and `safegroup dump --sites` show it: counts, `12%`,
    /// durations; `-` where there is nothing to measure.
    public func text(of site: SiteStatistics) -> String {
        let summary = site.summary
        func duration(_ value: UInt64, _ count: Int) -> String { count == 0 ? "-" : Format.duration(value) }
        switch self {
        case .site: return site.site
        case .started: return Format.count(site.started)
        case .running: return Format.count(site.running)
        case .ok: return Format.count(site.ok)
        case .failed: return Format.count(site.failed)
        case .timedOut: return Format.count(site.timedOut)
        case .cancelled: return Format.count(site.cancelled)
        case .crashed: return Format.count(site.crashed)
        case .faultRate: return summary.recentEnds == 0 ? "-" : "\(Int((summary.faultRate * 100).rounded()))%"
        case .p50: return duration(summary.durations.p50, summary.durations.count)
        case .p90: return duration(summary.durations.p90, summary.durations.count)
        case .p99: return duration(summary.durations.p99, summary.durations.count)
        case .max: return duration(summary.durations.max, summary.durations.count)
        case .wait: return duration(summary.waits.p90, summary.waits.count)
        }
    }
}

/// The warnings view (`3`): every active warning, by kind then age, with its site and why.
struct WarningsView {
    let state: DashboardState
    let area: Rect

    private var focused: Bool { state.view.pane == .tree && !state.view.showsHelp }

    func draw(into screen: inout Screen) {
        let health = state.displayed.health
        let rows = state.warningRows
        var details = ["\(Format.count(rows.count)) active"]
        // A count per kind: what the header's total is made of.
        let kinds = WarningKind.allCases.compactMap { kind -> String? in
            let count = rows.reduce(0) { $0 + ($1.kind == kind ? 1 : 0) }
            return count == 0 ? nil : "\(Format.count(count)) \(kind.rawValue)"
        }
        if !kinds.isEmpty { details.append(kinds.joined(separator: ", ")) }
        if let enabled = health?.configuration.enabled, enabled.count < WarningKind.allCases.count {
            details.append("on: " + WarningKind.allCases.filter(enabled.contains).map(\.rawValue).joined(separator: ","))
        }
        PaneTitle.draw("Warnings", details: details.joined(separator: " · ") + " " + TabStrip.text(state), focused: focused, in: area, into: &screen)
        let visible = max(0, area.height - 1)
        if rows.isEmpty {
            let text = health == nil ? "warnings are off" : "no warnings: nothing has looked stuck, queued, failing more or growing for long"
            screen.put(text, x: area.x + 2, y: area.y + 1, limit: area.width - 2, style: .muted)
            return
        }
        var scroll = min(state.view.warningScroll, max(0, rows.count - visible))
        let cursor = min(state.view.warningCursor, rows.count - 1)
        if cursor >= scroll + visible { scroll = cursor - visible + 1 }
        if cursor < scroll { scroll = cursor }
        let right = area.x + area.width
        for (offset, index) in (scroll..<min(rows.count, scroll + visible)).enumerated() {
            let warning = rows[index]
            let y = area.y + 1 + offset
            var x = area.x + 1
            x += screen.put("⚠ ", x: x, y: y, limit: right - x, style: CellStyle(.warning, bold: true))
            x += screen.put(warning.kind.rawValue, x: x, y: y, limit: min(12, right - x), style: CellStyle(.warning, bold: true))
            x = min(right, area.x + 15)
            x += screen.put(Self.subject(warning, in: state.displayed), x: x, y: y, limit: min(26, right - x), style: .normal) + 1
            x = min(right, max(x, area.x + 42))
            if x < right { x += screen.put(warning.site, x: x, y: y, limit: min(30, right - x), style: .muted) + 2 }
            if x < right { screen.put(warning.detail, x: x, y: y, limit: right - x, style: .normal) }
            if index == cursor {
                for column in area.x..<right {
                    var style = screen[column, y].style
                    if focused { style.reverse = true } else { style.bold = true }
                    screen.restyle(x: column, y: y, count: 1, style: style)
                }
            }
        }
    }

    /// `charge-card (task 42)`, `checkout (group 3)`, `site`.
    static func subject(_ warning: HealthWarning, in model: StreamModel) -> String {
        switch warning.subject {
        case .task(let id): (model.tasks[id].map { "\($0.name) " } ?? "") + "(\(id))"
        case .group(let id): (model.groups[id].map { "\($0.name) " } ?? "") + "(\(id))"
        case .site: "site"
        }
    }
}

/// `[1 tree 2 sites 3 warnings]` with the shown tab in capitals: where the other views are.
enum TabStrip {
    static func text(_ state: DashboardState) -> String {
        let count = state.warningRows.count
        return "[" + Tab.allCases.map { tab in
            let name = tab == .warnings && count > 0 ? "warnings(\(count))" : tab.rawValue
            return "\(tab.key) " + (tab == state.view.tab ? name.uppercased() : name)
        }.joined(separator: " ") + "]"
    }
}
