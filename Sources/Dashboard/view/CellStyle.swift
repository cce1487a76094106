/// What a cell is, for colouring: the terminal layer maps each role to a colour pair (or, under
/// `NO_COLOR`, to nothing). The dashboard never names colours itself.
public enum ColorRole: UInt8, Hashable, Sendable, CaseIterable {
    /// Ordinary text.
    case normal
    /// Labels, separators, secondary text.
    case muted
    /// Titles and the header's service name.
    case accent
    /// A child waiting for a slot.
    case waiting
    /// A running child.
    case running
    /// A child or group that ended well.
    case ok
    /// A child that threw.
    case failed
    /// A child that ran past its timeout.
    case timedOut
    /// A child that was cancelled.
    case cancelled
    /// A crashed child or service.
    case crashed
    /// Something the user must not miss: dropped events, PAUSED, reconnecting.
    case warning
}

/// How one cell is drawn: its colour role and attributes.
public struct CellStyle: Hashable, Sendable {
    public var role: ColorRole
    public var bold: Bool
    public var reverse: Bool
    public var dim: Bool

    public init(_ role: ColorRole = .normal, bold: Bool = false, reverse: Bool = false, dim: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
    }

    public static let normal = CellStyle()
    public static let muted = CellStyle(.muted, dim: true)
    public static let title = CellStyle(.accent, bold: true)

    /// The same style, reversed (the selection bar).
    var reversed: CellStyle {
        var copy = self
        copy.reverse = true
        return copy
    }

    var emboldened: CellStyle {
        var copy = self
        copy.bold = true
        return copy
    }
}
