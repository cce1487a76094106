/// One column of one row of a ``Screen``.
///
/// A wide character (CJK, emoji) occupies two cells: the first holds the character with
/// `width == 2`, the second is a continuation with `width == 0` that a terminal layer skips.
public struct Cell: Hashable, Sendable {
    /// The grapheme drawn here; a space for a blank cell or a continuation.
    public var character: Character
    /// 1 for a normal cell, 2 for the first half of a wide character, 0 for its second half.
    public var width: UInt8
    public var style: CellStyle

    public init(_ character: Character = " ", width: UInt8 = 1, style: CellStyle = .normal) {
        self.character = character
        self.width = width
        self.style = style
    }

    public static let blank = Cell()

    /// Whether this cell is the second half of a wide character.
    public var isContinuation: Bool { width == 0 }
}
