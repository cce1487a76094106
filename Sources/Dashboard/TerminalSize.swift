/// The size of the terminal, in columns and rows.
public struct TerminalSize: Hashable, Sendable, CustomStringConvertible {
    public var columns: Int
    public var rows: Int

    public init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
    }

    /// Below this the dashboard shows only a message asking for a larger terminal.
    public static let minimum = TerminalSize(columns: 60, rows: 16)

    /// Whether a layout fits: at least ``minimum`` in both directions.
    public var isUsable: Bool { columns >= Self.minimum.columns && rows >= Self.minimum.rows }

    public var description: String { "\(columns)×\(rows)" }
}
