import GroupEvents

/// The glyph and colour role of each status. Every glyph is one column wide: none is East
/// Asian Wide or an emoji (a few are East Asian Ambiguous, narrow unless a terminal is set
/// to the legacy CJK width), so columns line up.
enum StatusGlyph {
    static func of(_ phase: TaskPhase) -> (glyph: Character, role: ColorRole) {
        switch phase {
        case .waiting: ("○", .waiting)
        case .running: ("●", .running)
        case .ended(let status): of(status)
        }
    }

    static func of(_ status: TaskStatus) -> (glyph: Character, role: ColorRole) {
        switch status {
        case .ok: ("✓", .ok)
        case .failed: ("✗", .failed)
        case .timedOut: ("⧗", .timedOut)
        case .cancelled: ("⊘", .cancelled)
        case .crashed: ("☠", .crashed)
        }
    }

    static func of(_ kind: FaultKind) -> (glyph: Character, role: ColorRole) {
        switch kind {
        case .error: of(TaskStatus.failed)
        case .timeout: of(TaskStatus.timedOut)
        case .cancelled: of(TaskStatus.cancelled)
        case .crash: of(TaskStatus.crashed)
        }
    }

    /// A group: open (◆) or closed (◇), coloured by health.
    static func of(_ group: GroupRecord) -> (glyph: Character, role: ColorRole) {
        (group.closedAt == nil ? "◆" : "◇", group.healthRole)
    }
}
