/// Spawn, ok and fault rates over the last minute, one sparkline each, newest on the right.
struct SparklineView {
    let state: DashboardState
    let area: Rect

    private static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    func draw(into screen: inout Screen) {
        var y = area.y
        if area.height >= 4 {
            PaneTitle.draw("Rates", details: "per second, last 60 s", focused: false, in: area, into: &screen)
            y += 1
        }
        let window = state.model.rates.window
        let series: [(String, [Int], ColorRole)] = [
            ("spawn", window.map(\.spawns), .running),
            ("ok", window.map(\.oks), .ok),
            ("fault", window.map(\.faults), .failed),
        ]
        if area.height == 1 {
            drawCompact(series, into: &screen)
            return
        }
        for (label, values, role) in series where y < area.maxY {
            screen.put(label, x: area.x + 1, y: y, style: .muted)
            let peak = values.max() ?? 0
            let peakText = "max \(Format.count(peak))/s"
            let barX = area.x + 7
            let barWidth = max(0, min(values.count, area.width - 8 - peakText.count - 1))
            for (offset, value) in values.suffix(barWidth).enumerated() {
                screen.set(barX + offset, y, Cell(Self.bar(value, peak: peak), style: CellStyle(role)))
            }
            screen.put(peakText, x: barX + barWidth + 1, y: y, style: .muted)
            y += 1
        }
    }

    /// One row: `spawn ▁▃█ 9/s  ok ▁ 1/s  fault ▁ 1/s`, each series over its last seconds.
    private func drawCompact(_ series: [(String, [Int], ColorRole)], into screen: inout Screen) {
        let slot = area.width / series.count
        for (index, (label, values, role)) in series.enumerated() {
            var x = area.x + 1 + index * slot
            let peak = values.max() ?? 0
            let peakText = "\(Format.count(peak))/s"
            x += screen.put(label, x: x, y: area.y, style: .muted) + 1
            let barWidth = max(0, slot - DisplayWidth.of(label) - peakText.count - 4)
            for value in values.suffix(barWidth) {
                screen.set(x, area.y, Cell(Self.bar(value, peak: peak), style: CellStyle(role)))
                x += 1
            }
            screen.put(peakText, x: x + 1, y: area.y, style: .muted)
        }
    }

    /// The block for `value` on a scale up to `peak`; a blank for zero, at least ▁ otherwise.
    static func bar(_ value: Int, peak: Int) -> Character {
        guard value > 0, peak > 0 else { return " " }
        let level = (value * levels.count + peak - 1) / peak  // 1...8, rounded up
        return levels[min(levels.count, max(1, level)) - 1]
    }
}
