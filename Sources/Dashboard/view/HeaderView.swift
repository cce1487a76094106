import GroupEvents

/// The header: who we watch and how (service, pid, mode, connection, uptime or replay
/// position), the counters, events/s, and losses — dropped events and skipped lines are
/// drawn first, so that they are never pushed off a narrow screen.
struct HeaderView {
    let state: DashboardState
    let area: Rect

    func draw(into screen: inout Screen) {
        drawIdentity(into: &screen)
        drawCounters(into: &screen)
        if state.mode == .replay, area.height >= 3 { drawReplayBar(into: &screen) }
    }

    private var model: StreamModel { state.model }

    private func drawIdentity(into screen: inout Screen) {
        let y = area.y
        // Right side first: what must never be hidden.
        var right: [(String, CellStyle)] = []
        if state.view.isPaused { right.append(("PAUSED", CellStyle(.warning, bold: true, reverse: true))) }
        if model.gracefulShutdownGroups > 0 {
            // Said while it happens: the groups close drained, then the connection ends.
            let ended = state.connection == .ended
            right.append((ended ? "shut down gracefully" : "SHUTTING DOWN", CellStyle(.warning, bold: true)))
        }
        if model.droppedFaults > 0 {
            // Lost faults are what a user must not overlook: said apart, in the error style.
            right.append(("dropped \(Format.count(model.dropped)), \(Format.count(model.droppedFaults)) faults", CellStyle(.failed, bold: true)))
        } else if model.dropped > 0 {
            right.append(("dropped \(Format.count(model.dropped))", CellStyle(.warning, bold: true)))
        }
        if let warnings = model.health?.warnings.count, warnings > 0 {
            right.append(("⚠ \(Format.count(warnings)) warning" + (warnings == 1 ? "" : "s"), CellStyle(.warning, bold: true)))
        }
        if state.skippedLines > 0 { right.append(("skipped \(Format.count(state.skippedLines)) lines", CellStyle(.warning, bold: true))) }
        right.append(("\(Format.count(model.rates.eventsPerSecond(at: state.now))) ev/s", .normal))
        let rightWidth = right.reduce(0) { $0 + DisplayWidth.of($1.0) + 2 }
        var x = max(0, area.width - rightWidth)
        for (text, style) in right {
            x += screen.put(text, x: x + 2, y: y, style: style) + 2
        }

        let leftLimit = max(0, area.width - rightWidth)
        // The service name is untrusted and unbounded: it gets what the mode and the connection
        // leave, never the other way round. When even a short name does not fit, the uptime
        // goes first, then the pid.
        let name = model.service.isEmpty ? "safegroup" : model.service
        let (connection, connectionStyle) = connectionText
        var tail: [(String, CellStyle)] = []
        switch state.mode {
        case .live, .demo:
            tail.append(("up \(Format.uptime(state.now.rawValue))", .muted))
        case .replay:
            if let replay = state.replay { tail.append(("at \(Format.clock(replay.elapsed))", .muted)) }
        }
        var pid = model.pid.map { ("pid \($0)", CellStyle.muted) }
        let shortestName = min(DisplayWidth.of(name), Self.shortestName)
        // A crash reason is as untrusted and unbounded as the name: a crashed connection is cut
        // to what the shortest name, the pid and the mode leave (its marker always shows), so
        // the header still says which service died. Other states are short and stay whole.
        var connectionWidth = DisplayWidth.of(connection)
        if case .crashed = state.connection {
            let fixedWidth = shortestName + 2 + (pid.map { DisplayWidth.of($0.0) + 2 } ?? 0) + DisplayWidth.of(state.mode.rawValue) + 2
            connectionWidth = min(connectionWidth, max(Self.connectionMarkerWidth, leftLimit - fixedWidth - 2))
        }
        func othersWidth() -> Int {
            ([pid].compactMap { $0 } + [(state.mode.rawValue, .normal)] + tail)
                .reduce(connectionWidth + 2) { $0 + DisplayWidth.of($1.0) + 2 }
        }
        if leftLimit - othersWidth() - 2 < shortestName { tail = [] }
        if leftLimit - othersWidth() - 2 < shortestName { pid = nil }
        // Below that, the name shrinks further (to `c…` at worst) rather than the connection.
        let nameWidth = max(min(DisplayWidth.of(name), 2), leftLimit - othersWidth() - 2)

        var left = 0
        func add(_ text: String, _ style: CellStyle, limit: Int? = nil) {
            guard left < leftLimit else { return }
            left += screen.put(text, x: left, y: y, limit: min(limit ?? .max, leftLimit - left), style: style)
            left += 2
        }
        add(name, .title, limit: nameWidth)
        if let pid { add(pid.0, pid.1) }
        add(state.mode.rawValue, CellStyle(.accent, bold: true, reverse: true))
        add(connection, connectionStyle, limit: connectionWidth)
        for (text, style) in tail { add(text, style) }
    }

    /// The columns a long service name keeps (`checkout-se…`) before the uptime and then the
    /// pid give way to it.
    static let shortestName = 12

    /// The columns a crashed connection keeps however long its reason: `☠ SERVICE CRASHED`.
    static let connectionMarkerWidth = 17

    private var connectionText: (String, CellStyle) {
        switch state.connection {
        case .connecting: ("◌ connecting", CellStyle(.waiting))
        case .connected where state.silentSeconds != nil:
            ("◌ silent for \(state.silentSeconds!) s", CellStyle(.warning, bold: true))
        case .connected: (state.mode == .replay ? "■ file" : "● connected", CellStyle(.ok))
        case .reconnecting(let seconds): ("◌ reconnecting in \(seconds) s", CellStyle(.warning, bold: true))
        case .ended: (state.mode == .replay ? "■ end of file" : "■ service ended", CellStyle(.muted))
        case .crashed(let reason):
            ("☠ SERVICE CRASHED" + (reason.isEmpty ? "" : ": \(reason)"), CellStyle(.crashed, bold: true, reverse: true))
        }
    }

    private func drawCounters(into screen: inout Screen) {
        let counters = model.counters
        let items: [(Character, Int, String, String, ColorRole)] = [
            ("●", counters.running, "running", "run", .running),
            ("○", counters.waiting, "waiting", "wait", .waiting),
            ("✓", counters.ok, "ok", "ok", .ok),
            ("✗", counters.failed, "failed", "fail", .failed),
            ("⧗", counters.timedOut, "timeout", "t/o", .timedOut),
            ("⊘", counters.cancelled, "cancelled", "canc", .cancelled),
            ("☠", counters.crashed, "crashed", "crash", .crashed),
        ]
        var untracked = ""
        if model.untrackedTasks > 0 { untracked = "+\(Format.count(model.untrackedTasks)) untracked" }
        // Full labels two columns apart, else one apart, else short labels: whatever fits.
        let choices = [(true, 2), (true, 1), (false, 1)]
        let (useFull, gap) = choices.first { useFull, gap in
            let widths = items.map { DisplayWidth.of("\($0.0) \(Format.count($0.1)) \(useFull ? $0.2 : $0.3)") + gap }
            return widths.reduce(0, +) + DisplayWidth.of(untracked) <= area.width
        } ?? (false, 1)
        var x = 0
        for item in items {
            let label = useFull ? item.2 : item.3
            let style = CellStyle(item.4, bold: item.1 > 0 && [.failed, .timedOut, .crashed].contains(item.4))
            x += screen.put(String(item.0), x: x, y: area.y + 1, style: CellStyle(item.4))
            x += screen.put(" \(Format.count(item.1))", x: x, y: area.y + 1, style: style)
            x += screen.put(" \(label)", x: x, y: area.y + 1, style: .muted) + gap
        }
        if !untracked.isEmpty { screen.put(untracked, x: x, y: area.y + 1, style: CellStyle(.warning)) }
    }

    /// `▶ 4× 0:12.3 / 1:30.0 ━━━━━━━━━╸──────────`
    private func drawReplayBar(into screen: inout Screen) {
        guard let replay = state.replay else { return }
        let y = area.y + 2
        let speed = replay.speed >= 1 ? "\(Int(replay.speed))×" : (replay.speed >= 0.5 ? "0.5×" : "0.25×")
        let label = "\(replay.isPlaying ? "▶" : "❚❚") \(speed) \(Format.clock(replay.elapsed)) / \(Format.clock(replay.length))"
        let used = screen.put(label, x: 0, y: y, style: CellStyle(.accent, bold: true))
        let barX = used + 2
        let barWidth = area.width - barX
        guard barWidth > 2 else { return }
        let filled = Int(replay.fraction * Double(barWidth))
        screen.fill("━", x: barX, y: y, count: filled, style: CellStyle(.accent))
        screen.fill("─", x: barX + filled, y: y, count: barWidth - filled, style: .muted)
    }
}
