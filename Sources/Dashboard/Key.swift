/// A key press, as the terminal layer decodes it.
public enum Key: Hashable, Sendable {
    /// A printable character (space included).
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, tab, backTab, escape, backspace
}
