/// Where a worker of the pool is in its life, as one value instead of a set of flags.
///
/// Flags allowed states no worker should be in, and three fixes were such states (a worker on
/// the idle list twice, a killed worker keeping its deadline, a kill reaching a reaped pid).
/// The transitions here are pure: they say what the phase becomes and what the pool must do
/// about it (put the worker on the idle list, take it off, kill it, close its channel), and the
/// supervisor carries that out. A reaped worker has no phase: it leaves the pool's table.
enum WorkerPhase: Hashable, Sendable {
    /// Spawned; it has not said it is ready.
    case spawning
    /// Ready, without a job: the one phase whose workers belong on the idle list.
    case idle
    /// Running the job of `ticket`.
    case busy(ticket: UInt64)
    /// Gets no new job (being killed, shut down, or its channel broke); `wasReady` tells whether
    /// it had said it was ready, `ticket` a job it still holds.
    case draining(wasReady: Bool, ticket: UInt64?)
    /// Its output showed a crash at `noticedAt`: it gets no new job, and is killed when its
    /// crash report does not come in time.
    case crashing(wasReady: Bool, ticket: UInt64?, noticedAt: UInt64)

    /// Whether it has said it is ready.
    var isReady: Bool {
        switch self {
        case .spawning: false
        case .idle, .busy: true
        case .draining(let wasReady, _), .crashing(let wasReady, _, _): wasReady
        }
    }

    /// Whether it gets no new job.
    var isRetiring: Bool {
        switch self {
        case .spawning, .idle, .busy: false
        case .draining, .crashing: true
        }
    }

    var isCrashing: Bool {
        if case .crashing = self { return true }
        return false
    }

    /// When its crash was noticed, while it is crashing.
    var crashNoticedAt: UInt64? {
        if case .crashing(_, _, let noticedAt) = self { return noticedAt }
        return nil
    }

    /// The ticket of the job it holds.
    var ticket: UInt64? {
        switch self {
        case .spawning, .idle: nil
        case .busy(let ticket): ticket
        case .draining(_, let ticket), .crashing(_, let ticket, _): ticket
        }
    }

    /// It said it was ready. A worker says so once; false (and no change) when it already had,
    /// which the pool takes for a channel it cannot trust. When the result is `.idle`, it goes
    /// on the idle list.
    mutating func becomeReady() -> Bool {
        switch self {
        case .spawning: self = .idle
        case .draining(false, let ticket): self = .draining(wasReady: true, ticket: ticket)
        case .crashing(false, let ticket, let noticedAt): self = .crashing(wasReady: true, ticket: ticket, noticedAt: noticedAt)
        case .idle, .busy, .draining(true, _), .crashing(true, _, _): return false
        }
        return true
    }

    /// It was given the job of `ticket` (only idle workers are).
    mutating func assign(_ ticket: UInt64) {
        switch self {
        case .spawning, .idle, .busy: self = .busy(ticket: ticket)
        case .draining(let wasReady, _): self = .draining(wasReady: wasReady, ticket: ticket)
        case .crashing(let wasReady, _, let noticedAt): self = .crashing(wasReady: wasReady, ticket: ticket, noticedAt: noticedAt)
        }
    }

    /// Its job ended (answered, or cancelled); returns the ticket it held. A busy worker becomes
    /// idle (back on the idle list); a retiring one stays retiring.
    @discardableResult
    mutating func finishJob() -> UInt64? {
        let held = ticket
        switch self {
        case .spawning, .idle: break
        case .busy: self = .idle
        case .draining(let wasReady, _): self = .draining(wasReady: wasReady, ticket: nil)
        case .crashing(let wasReady, _, let noticedAt): self = .crashing(wasReady: wasReady, ticket: nil, noticedAt: noticedAt)
        }
        return held
    }

    /// It gets no new job from now on (it is killed, shut down, or its channel broke). It keeps
    /// the job it holds; a crashing worker stays crashing.
    mutating func retire() {
        switch self {
        case .spawning: self = .draining(wasReady: false, ticket: nil)
        case .idle: self = .draining(wasReady: true, ticket: nil)
        case .busy(let ticket): self = .draining(wasReady: true, ticket: ticket)
        case .draining, .crashing: break
        }
    }

    /// Its output showed a crash at `now`; false (and no change) when that was already noticed.
    mutating func noticeCrash(at now: UInt64) -> Bool {
        guard !isCrashing else { return false }
        self = .crashing(wasReady: isReady, ticket: ticket, noticedAt: now)
        return true
    }
}
