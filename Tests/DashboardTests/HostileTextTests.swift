@testable import Dashboard
import GroupEvents
import Testing

/// Text from the stream is untrusted: escape sequences, OSC titles, bidi overrides and C1
/// controls never reach a cell, and wide characters are never split.
@Suite struct HostileTextTests {
    static let hostile = [
        "\u{1B}[2J\u{1B}[H wipe",
        "\u{1B}]0;pwned title\u{07}",
        "\u{1B}]52;c;Y2xpcGJvYXJk\u{1B}\\",
        "evil\u{202E}txt.exe",
        "\u{2066}isolate\u{2069}\u{200F}",
        "c1 \u{9B}31m red \u{9D}0;osc\u{9C}",
        "del\u{7F} nul\u{0} bell\u{07} cr\r lf\n tab\t",
        "line\u{2028}sep\u{2029}",
        "中文名字很长很长很长很长很长很长很长很长很长很长很长很长",
        "🧨💥🔥👨‍👩‍👧‍👦🇺🇦",
        "e\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307} zalgo",
    ]

    func hostileState(size: TerminalSize) -> DashboardState {
        var s = StreamBuilder()
        s.header(service: "svc\u{1B}]0;title\u{07}")
        for (index, text) in Self.hostile.enumerated() {
            let group = UInt64(index + 1)
            s.open(group, text, at: 10 * group)
            s.spawn(group * 10, in: group, text, at: 10 * group + 1)
            s.start(group * 10, in: group, at: 10 * group + 2)
            s.fault(group * 10, text, in: group, text, errorType: text, message: text + " " + text, started: 10 * group + 2,
                    at: 10 * group + 5, stack: [StackFrame(symbol: text, file: text, line: 7)])
        }
        var state = DashboardState(mode: .live, size: size)
        state.feed(s, tickAt: 0)
        return state
    }

    /// Every cell holds a printable grapheme; a wide one is followed by its continuation.
    func checkCells(_ screen: Screen, sourceLocation: SourceLocation = #_sourceLocation) {
        for y in 0..<screen.height {
            var x = 0
            while x < screen.width {
                let cell = screen[x, y]
                let bad = cell.character.unicodeScalars.filter { TextSanitizer.needsEscape($0) }
                #expect(bad.isEmpty, "control in cell \(x),\(y): \(bad.map(\.value))", sourceLocation: sourceLocation)
                #expect(!cell.isContinuation, "a continuation without its wide cell at \(x),\(y)", sourceLocation: sourceLocation)
                #expect(DisplayWidth.of(cell.character) == Int(cell.width), "cell \(x),\(y) width", sourceLocation: sourceLocation)
                if cell.width == 2 {
                    #expect(x + 1 < screen.width && screen[x + 1, y].isContinuation, sourceLocation: sourceLocation)
                    x += 2
                } else {
                    x += 1
                }
            }
        }
    }

    @Test(arguments: [TerminalSize(columns: 80, rows: 24), TerminalSize(columns: 160, rows: 48), TerminalSize(columns: 61, rows: 17)])
    func noControlEverReachesACell(size: TerminalSize) {
        var state = hostileState(size: size)
        checkCells(render(state, size: size))
        // Every pane and selection: each fault's detail, the help, the history.
        state.press(.tab)
        for _ in Self.hostile { state.press(.down); checkCells(render(state, size: size)) }
        state.press(.tab)
        for _ in 0..<(3 * Self.hostile.count) { state.press(.down); checkCells(render(state, size: size)) }
        state.press(.character("?"))
        checkCells(render(state, size: size))
    }

    @Test func escapesAreShownAsVisibleText() {
        let size = TerminalSize(columns: 160, rows: 48)
        let state = hostileState(size: size)
        let text = render(state, size: size).text
        #expect(text.contains("svc\\u{1B}]0;title\\u{7}"))
        #expect(text.contains("evil\\u{202E}txt.exe"))
    }

    @Test func theFilterIgnoresControlKeys() {
        var state = hostileState(size: TerminalSize(columns: 80, rows: 24))
        state.press(.character("/"), .character("\u{1B}"), .character("\u{9B}"), .character("a"))
        #expect(state.view.filter == "a")
    }

    @Test func wideCharactersAreNeverSplitAtAColumnEdge() {
        var screen = Screen(size: TerminalSize(columns: 10, rows: 3))
        // 5 columns of room: 中中 fits in 4, the third would straddle the edge.
        let used = screen.put("中中中", x: 0, y: 0, limit: 5)
        #expect(used == 5)
        #expect(screen.line(0) == "中中…")
        // At the right edge of the screen, with one column left.
        screen.put("ab中", x: 7, y: 1)
        #expect(screen.line(1) == "       ab…")
        // Overwriting half of a wide character blanks the other half.
        screen.put("中文", x: 0, y: 2)
        screen.put("x", x: 1, y: 2)
        #expect(screen.line(2) == " x文")
        #expect(!screen[1, 2].isContinuation)
    }

    @Test func combiningMarksStayWithTheirBaseAndLoneOnesAreDropped() {
        var screen = Screen(size: TerminalSize(columns: 10, rows: 1))
        screen.put("\u{301}e\u{301}x\u{200B}y", x: 0, y: 0)
        #expect(screen[0, 0].character == "e\u{301}")
        #expect(screen.line(0) == "e\u{301}xy")
    }
}
