import GroupEvents

/// Builds faults, with the stack of where each happened. Off the path of children that succeed.
///
/// Which stack a fault shows, first rule that applies (docs/DESIGN-NOTES.md, "Where a fault happened"):
/// 1. an error that describes its own fault (``FaultDescribingError``: a crashed worker) brings its stack;
/// 2. an error that carries the stack of its creation (``StackCarryingError``, ``TracedError``) shows that;
/// 3. a nested group's ``GroupFaults`` shows the stack of its first fault (not a cancellation) that has one: where it happened;
/// 4. an error whose `throw` inside the child was recorded (``ThrowSites``) shows the throw's stack;
/// 5. otherwise none: a stack taken where the group caught the error would show only SafeGroup.
///
/// A stack not symbolicated before is left to symbolicate (``Pending``): that takes milliseconds,
/// which the group spends off the child's path.
enum FaultFactory {
    /// A fault whose stack may still need symbolicating.
    struct Pending: Sendable {
        var fault: Fault
        /// The stack to symbolicate into `fault`, when it was not in the cache.
        let unresolved: CapturedStack?

        var needsSymbolication: Bool { unresolved != nil }

        /// The fault with its stack symbolicated (on a thread of its own, not the task pool).
        func resolved() async -> Fault {
            guard let unresolved else { return fault }
            var info = fault.info
            info.stack = await unresolved.symbolicatedFrames()
            if info.stack.isEmpty { info.stackOrigin = StackOrigin.none }
            return Fault(info: info, error: fault.error)
        }
    }

    static func fault(_ kind: FaultKind, error: any Error, task: TaskID, name: String, site: SourceSite,
                      group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Pending {
        let errorType: String, message: String, signal: Int32?, located: Location
        if let described = (error as? any FaultDescribingError)?.faultDescription {
            errorType = described.errorType
            message = described.message
            signal = described.signal
            // Its failure happened elsewhere (another process): a stack from here would show only the wait.
            located = described.stack.map { Location(origin: described.stackOrigin, stack: $0) } ?? .none
        } else {
            let reported = (error as? any ErrorWrapper)?.wrappedError ?? error
            errorType = String(reflecting: type(of: reported))
            message = String(describing: reported)
            signal = nil
            located = location(error)
        }
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: kind,
                             errorType: errorType, message: message, startedAt: startedAt, endedAt: endedAt,
                             stackOrigin: located.origin, stack: located.stack, signal: signal)
        return Pending(fault: Fault(info: info, error: error), unresolved: located.unresolved)
    }

    /// A child ran past its deadline. `ending` is what its operation threw once cancelled (nil
    /// when it returned): where that was thrown is where the child was waiting.
    static func timeout(_ timeout: Duration, ending: (any Error)?, note: String?, task: TaskID, name: String, site: SourceSite,
                        group: GroupID, groupName: String, startedAt: MonotonicTime, endedAt: MonotonicTime) -> Pending {
        let located = ending.map { location($0) } ?? .none
        var message = "timed out after \(timeout)"
        if let note { message += "; \(note)" }
        let info = FaultInfo(task: task, taskName: name, group: group, groupName: groupName, site: site, kind: .timeout,
                             errorType: "", message: message, startedAt: startedAt, endedAt: endedAt,
                             stackOrigin: located.origin, stack: located.stack)
        return Pending(fault: Fault(info: info, error: nil), unresolved: located.unresolved)
    }

    /// Where a fault happened: its stack, or the stack still to symbolicate.
    private struct Location {
        var origin: StackOrigin
        var stack: [StackFrame] = []
        var unresolved: CapturedStack?

        static let none = Location(origin: StackOrigin.none)

        /// `captured`'s frames if ready, else the stack to symbolicate; nil for a stack known empty.
        init?(origin: StackOrigin, captured: CapturedStack) {
            if let frames = captured.cachedFrames {
                guard !frames.isEmpty else { return nil }
                self.init(origin: origin, stack: frames)
            } else {
                self.init(origin: origin, unresolved: captured)
            }
        }

        init(origin: StackOrigin, stack: [StackFrame] = [], unresolved: CapturedStack? = nil) {
            self.origin = origin
            self.stack = stack
            self.unresolved = unresolved
        }
    }

    /// Where `error` happened: rules 2 to 5 above.
    private static func location(_ error: any Error) -> Location {
        if let carrying = error as? any StackCarryingError,
           let located = Location(origin: StackOrigin.error, captured: carrying.creationStack) {
            return located
        }
        // Its first fault that is not a cancellation it caused, else its first with a stack.
        if let nested = error as? GroupFaults,
           let first = nested.faults.first(where: { $0.kind != .cancelled && !$0.stack.isEmpty })
               ?? nested.faults.first(where: { !$0.stack.isEmpty }) {
            return Location(origin: first.info.stackOrigin, stack: first.stack)
        }
        if let thrown = ThrowSites.stack(of: error), let located = Location(origin: StackOrigin.throw, captured: thrown) {
            return located
        }
        return .none
    }
}
