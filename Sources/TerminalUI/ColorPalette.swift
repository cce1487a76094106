import CNcurses
import Dashboard

/// Maps each ``ColorRole`` to a curses colour pair and attributes. Under `NO_COLOR` (or on a
/// terminal without colours) every role is pair 0 and only bold, reverse and dim remain.
struct ColorPalette {
    private var pairs: [ColorRole: Int16] = [:]
    private var extra: [ColorRole: attr_t] = [:]

    init(colors: Bool) {
        // Dimness carries meaning without colour too.
        extra[.muted] = cn_a_dim()
        guard colors, has_colors() else { return }
        start_color()
        // Keep the terminal's own background and foreground (-1) where a role has no colour.
        use_default_colors()
        let foregrounds: [(ColorRole, Int16)] = [
            (.accent, cn_color_cyan()), (.waiting, cn_color_blue()), (.running, cn_color_cyan()),
            (.ok, cn_color_green()), (.failed, cn_color_red()), (.timedOut, cn_color_magenta()),
            (.cancelled, cn_color_yellow()), (.crashed, cn_color_red()), (.warning, cn_color_yellow()),
        ]
        for (index, (role, color)) in foregrounds.enumerated() where index + 1 < cn_color_pairs() {
            let pair = Int16(index + 1)
            if init_pair(pair, color, -1) == cn_ok() { pairs[role] = pair }
        }
        extra[.crashed] = cn_a_bold()
    }

    func pair(for role: ColorRole) -> Int16 { pairs[role] ?? 0 }

    func attributes(for style: CellStyle) -> attr_t {
        var attributes = extra[style.role] ?? cn_a_normal()
        if style.bold { attributes |= cn_a_bold() }
        if style.reverse { attributes |= cn_a_reverse() }
        if style.dim { attributes |= cn_a_dim() }
        return attributes
    }
}
