import CNcurses
import Dashboard

/// Turns what `get_wch` returns into a ``Key``: function keys by their curses code,
/// characters by their code point. Controls other than the few with a meaning are dropped.
enum KeyDecoder {
    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case cn_key_up(): .up
        case cn_key_down(): .down
        case cn_key_left(): .left
        case cn_key_right(): .right
        case cn_key_home(): .home
        case cn_key_end(): .end
        case cn_key_ppage(): .pageUp
        case cn_key_npage(): .pageDown
        case cn_key_enter(): .enter
        case cn_key_backspace(): .backspace
        case cn_key_btab(): .backTab
        default: nil
        }
    }

    static func character(_ value: UInt32) -> Key? {
        switch value {
        case 0x09: return .tab
        case 0x0A, 0x0D: return .enter
        case 0x1B: return .escape
        case 0x08, 0x7F: return .backspace
        case 0x00..<0x20, 0x80..<0xA0: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .character(Character(scalar))
        }
    }
}
