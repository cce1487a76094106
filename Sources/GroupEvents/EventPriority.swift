extension Event {
    /// True for the events a viewer must not miss: a `fault`, a `task.slow-to-cancel`, a
    /// `group.closed` whose outcome is `faulted`, and `process.crashed`.
    ///
    /// Under overload a producer drops every other event first: these have a share of its
    /// buffers of their own and are dropped only when that share is full, and a `dropped`
    /// event counts them apart (``Dropped/faults``).
    public var isFaultClass: Bool {
        switch kind {
        case .faultRecorded, .slowToCancel, .processCrashed: true
        case .groupClosed(let closed): closed.outcome == .faulted
        default: false
        }
    }
}
