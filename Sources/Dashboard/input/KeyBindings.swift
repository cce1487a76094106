/// What each key means: small predicates the reducer asks, and the help overlay's table.
/// Kept apart from the reducer so that a key's meaning is defined once and tested alone.
enum KeyBindings {
    static func isUp(_ key: Key) -> Bool { key == .up || key == .character("k") }
    static func isDown(_ key: Key) -> Bool { key == .down || key == .character("j") }
    static func isQuit(_ key: Key) -> Bool { key == .character("q") }
    static func isHelp(_ key: Key) -> Bool { key == .character("?") }
    static func isFilter(_ key: Key) -> Bool { key == .character("/") }
    static func isSwitchPane(_ key: Key) -> Bool { key == .tab || key == .backTab }
    static func isToggle(_ key: Key) -> Bool { key == .enter }
    static func isScrollDetailDown(_ key: Key) -> Bool { key == .character("J") }
    static func isScrollDetailUp(_ key: Key) -> Bool { key == .character("K") }

    /// `x`: cancel the selected task or group (live, when the service allows actions; the demo maps it itself).
    static func isCancel(_ key: Key) -> Bool { key == .character("x") }

    /// The tab a key shows in the tree pane: `1` tree, `2` sites, `3` warnings.
    static func tab(_ key: Key) -> Tab? {
        guard case .character(let character) = key else { return nil }
        return Tab.allCases.first { $0.key == character }
    }

    /// Whether `key` is text for the filter: printable, not a control.
    static func filterText(_ key: Key) -> Character? {
        guard case .character(let character) = key,
              !character.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        else { return nil }
        return character
    }

    /// A key the replay runner handles, in replay mode.
    static func replayCommand(_ key: Key) -> ReplayAction? {
        switch key {
        case .character(" "): .togglePlay
        case .character("+"), .character("="): .faster
        case .character("-"): .slower
        case .left: .seek(seconds: -10)
        case .right: .seek(seconds: 10)
        case .character("n"): .nextFault
        case .character("N"): .previousFault
        case .character("["): .step(-1)
        case .character("]"): .step(1)
        case .character("g"): .toStart
        case .character("G"): .toEnd
        default: nil
        }
    }

    /// A key the demo runner handles, in demo mode (the group is filled in by the reducer).
    static func demoCommand(_ key: Key) -> DemoAction? {
        switch key {
        case .character("e"): .injectError
        case .character("t"): .injectTimeout
        case .character("c"): .injectCrash
        case .character("b"): .burst
        case .character("x"): .cancelGroup(nil)
        default: nil
        }
    }

    /// One line of the help overlay.
    struct HelpEntry: Hashable, Sendable {
        var keys: String
        var action: String
    }

    /// Every key, by section, for the help overlay.
    static func help(for mode: DashboardMode) -> [(section: String, entries: [HelpEntry])] {
        var navigate = [
            HelpEntry(keys: "↑ k  ↓ j", action: "move the selection"),
            HelpEntry(keys: "PgUp PgDn", action: "move a page"),
            HelpEntry(keys: "Home End", action: "first or last row"),
        ]
        if mode != .replay {
            // In a replay these keys control the replay instead.
            navigate.append(HelpEntry(keys: "g G", action: "first or last row"))
            navigate.append(HelpEntry(keys: "← →", action: "collapse or expand a group"))
        }
        navigate.append(HelpEntry(keys: "Enter", action: "expand or collapse a group"))
        navigate.append(HelpEntry(keys: "Tab", action: "switch between tree and faults"))
        navigate.append(HelpEntry(keys: "J K", action: "scroll the detail pane"))
        var sections: [(section: String, entries: [HelpEntry])] = [
            ("Navigate", navigate),
            ("View", [
                HelpEntry(keys: "/", action: "filter by name, status or group (Esc clears)"),
                HelpEntry(keys: "s", action: "cycle the sort: spawn, duration, status, name"),
                HelpEntry(keys: "f", action: "follow the newest task and fault"),
                HelpEntry(keys: "p", action: "pause the view (the stream is still read)"),
                HelpEntry(keys: "h", action: "show ended tasks (history)"),
                HelpEntry(keys: "1 2 3", action: "tree, spawn sites, warnings"),
                HelpEntry(keys: "?", action: "this help"),
                HelpEntry(keys: "q", action: "quit"),
            ]),
        ]
        sections.append(("Sites (2)", [
            HelpEntry(keys: "s r", action: "sort by the next column, reverse"),
            HelpEntry(keys: "Enter", action: "filter tree and faults to the site (Esc clears)"),
        ]))
        switch mode {
        case .live:
            sections.append(("Live", [
                HelpEntry(keys: "x", action: "cancel the selected task or group (y confirms)"),
            ]))
        case .replay:
            sections.append(("Replay", [
                HelpEntry(keys: "Space", action: "play or pause"),
                HelpEntry(keys: "+ -", action: "faster or slower (0.25× to 64×)"),
                HelpEntry(keys: "← →", action: "seek 10 s back or forward"),
                HelpEntry(keys: "n N", action: "next or previous fault"),
                HelpEntry(keys: "[ ]", action: "step one event back or forward"),
                HelpEntry(keys: "g G", action: "go to the start or the end"),
            ]))
        case .demo:
            sections.append(("Demo", [
                HelpEntry(keys: "e", action: "an error in a random child"),
                HelpEntry(keys: "t", action: "a timeout"),
                HelpEntry(keys: "c", action: "a crash"),
                HelpEntry(keys: "b", action: "a burst of 1,000 children"),
                HelpEntry(keys: "x", action: "cancel the selected group"),
            ]))
        }
        return sections
    }
}
