import GroupEvents

/// A rendered frame: a grid of ``Cell``s, what ``render(_:size:)`` returns.
///
/// The terminal layer copies it to the terminal (curses diffs it against the previous frame);
/// tests compare its ``text`` with snapshot files. Writing into a screen never splits a wide
/// character at a column edge and never stores a control character, whatever the input.
public struct Screen: Hashable, Sendable {
    public let size: TerminalSize
    /// Row-major, `size.columns * size.rows` cells.
    public private(set) var cells: [Cell]

    public init(size: TerminalSize) {
        self.size = size
        self.cells = Array(repeating: .blank, count: max(0, size.columns) * max(0, size.rows))
    }

    public var width: Int { size.columns }
    public var height: Int { size.rows }

    /// The cell at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Row `y` as text: wide characters once (their continuation cells skipped), trailing blanks trimmed.
    public func line(_ y: Int) -> String {
        var text = ""
        for x in 0..<width {
            let cell = self[x, y]
            if !cell.isContinuation { text.append(cell.character) }
        }
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The whole frame as text, one line per row, for snapshots and end-to-end checks.
    public var text: String {
        (0..<height).map(line).joined(separator: "\n")
    }

    // MARK: Writing (used by the views while rendering a frame)

    /// Sets one cell, keeping wide characters whole: overwriting either half of a wide
    /// character blanks its other half.
    mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let index = y * width + x
        let old = cells[index]
        if old.isContinuation, x > 0 {
            cells[index - 1] = Cell(" ", style: cells[index - 1].style)
        } else if old.width == 2, x + 1 < width {
            cells[index + 1] = Cell(" ", style: old.style)
        }
        cells[index] = cell
        if cell.width == 2 {
            if x + 1 < width {
                let next = cells[index + 1]
                if next.width == 2, x + 2 < width { cells[index + 2] = Cell(" ", style: next.style) }
                cells[index + 1] = Cell(" ", width: 0, style: cell.style)
            } else {
                cells[index] = Cell(" ", style: cell.style)  // no room for the second half
            }
        }
    }

    /// Writes `text` from column `x` of row `y`, using at most `limit` columns (to the right
    /// edge when nil). Text that does not fit ends in `…`. Returns the columns used.
    ///
    /// Zero-width clusters on their own (a lone combining mark, a zero-width space) are
    /// dropped: they would merge into whatever the terminal drew in the previous cell.
    /// A cluster holding a control or bidi code point is drawn as `?`: text is sanitized
    /// before it gets here, so this is a second line of defence, not the escaping itself.
    @discardableResult
    mutating func put(_ text: some StringProtocol, x: Int, y: Int, limit: Int? = nil, style: CellStyle = .normal) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let available = min(limit ?? (width - x), width - x)
        guard available > 0 else { return 0 }
        let fits = DisplayWidth.of(text) <= available
        // When it does not fit, keep one column for the ellipsis.
        let budget = fits ? available : available - 1
        var column = 0
        for character in text {
            var character = character
            var w = DisplayWidth.of(character)
            if character.unicodeScalars.contains(where: TextSanitizer.needsEscape) {
                character = "?"
                w = 1
            }
            if w == 0 { continue }
            if column + w > budget { break }
            set(x + column, y, Cell(character, width: UInt8(w), style: style))
            column += w
        }
        if !fits {
            // Pad the column a wide character could not use, then the ellipsis.
            while column < budget {
                set(x + column, y, Cell(" ", style: style))
                column += 1
            }
            set(x + column, y, Cell("…", style: style))
            column += 1
        }
        return column
    }

    /// Fills `count` columns of row `y` from `x` with `character` (a narrow one).
    mutating func fill(_ character: Character = " ", x: Int, y: Int, count: Int, style: CellStyle = .normal) {
        guard count > 0 else { return }
        for column in x..<(x + count) { set(column, y, Cell(character, style: style)) }
    }

    /// Gives every cell of row `y` between `x` and `x + count` the style `style`, keeping characters.
    mutating func restyle(x: Int, y: Int, count: Int, style: CellStyle) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(width, x + count) {
            cells[y * width + column].style = style
        }
    }
}
