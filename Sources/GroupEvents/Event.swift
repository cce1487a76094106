/// One thing that happened to a group or a child task, with the time it happened.
///
/// Events are plain values: ids, strings and numbers. The group emits them into an
/// ``EventSink``; the wire format (``WireEncoder``) adds a per-stream sequence number.
public struct Event: Hashable, Sendable {
    /// When it happened, on the emitting process's monotonic clock.
    public var time: MonotonicTime
    /// What happened.
    public var kind: Kind

    public init(time: MonotonicTime = .now(), _ kind: Kind) {
        self.time = time
        self.kind = kind
    }

    /// What happened. New cases may be added in minor versions of the wire format;
    /// switch with a `default` where you can.
    ///
    /// The rare, large payloads are boxed (`indirect`) so that an `Event` stays small: sinks
    /// copy every event into a buffer.
    public enum Kind: Hashable, Sendable {
        indirect case groupOpened(GroupOpened)
        indirect case groupClosed(GroupClosed)
        case taskSpawned(TaskSpawned)
        case taskStarted(TaskStarted)
        case taskEnded(TaskEnded)
        indirect case faultRecorded(FaultInfo)
        case slowToCancel(SlowToCancel)
        case dropped(Dropped)
        case heartbeat(Heartbeat)
        /// The process is dying of a signal: the monitor's last gasp, the last event of a stream.
        indirect case processCrashed(ProcessCrashed)
        /// A viewer asked the service to act (cancel a task or group), and what came of it.
        indirect case viewerAction(ViewerAction)
    }
}

/// The policy of a group: what it does with its other children when one faults.
public enum FailurePolicy: String, Hashable, Sendable, CaseIterable {
    /// Cancel the siblings on the first fault, and record which fault caused it.
    case cancelOnFirstFault = "cancel-on-first-fault"
    /// Let every child run to its end and collect all faults.
    case collectAll = "collect-all"
}

/// A group was opened.
public struct GroupOpened: Hashable, Sendable {
    public var group: GroupID
    public var name: String
    /// The child task the group was opened in, if it was opened inside another group's child.
    public var parentTask: TaskID?
    /// The group of `parentTask`.
    public var parentGroup: GroupID?
    public var site: SourceSite
    public var policy: FailurePolicy
    /// The concurrency limit, or nil for none.
    public var limit: Int?

    public init(group: GroupID, name: String, parentTask: TaskID? = nil, parentGroup: GroupID? = nil,
                site: SourceSite, policy: FailurePolicy, limit: Int? = nil) {
        self.group = group; self.name = name; self.parentTask = parentTask; self.parentGroup = parentGroup
        self.site = site; self.policy = policy; self.limit = limit
    }
}

/// Why a group's children were cancelled.
public enum CancellationCause: Hashable, Sendable {
    /// The task that owns the group was cancelled.
    case parentCancelled
    /// The group's policy cancelled the siblings after this task's fault.
    case fault(TaskID)
    /// The code in the group's scope asked for it (`cancelAll`).
    case requested
    /// The service is shutting down gracefully: the group stopped spawning, let its children
    /// finish until a deadline, then cancelled the rest (since wire format 1.4). Children
    /// cancelled this way end `cancelled` but are not faults. On the wire:
    /// `{"cause":"requested","shutdown":"graceful"}`, which a reader before 1.4 reads as `requested`.
    case gracefulShutdown
}

/// A group's scope returned: every child has ended.
public struct GroupClosed: Hashable, Sendable {
    public enum Outcome: String, Hashable, Sendable, CaseIterable {
        /// Every child ended without a fault.
        case ok
        /// At least one child faulted.
        case faulted
        /// The group was cancelled and no child faulted other than by cancellation.
        case cancelled
    }
    public var group: GroupID
    public var outcome: Outcome
    public var faultCount: Int
    public var childCount: Int
    public var cancellation: CancellationCause?

    public init(group: GroupID, outcome: Outcome, faultCount: Int, childCount: Int, cancellation: CancellationCause? = nil) {
        self.group = group; self.outcome = outcome; self.faultCount = faultCount
        self.childCount = childCount; self.cancellation = cancellation
    }
}

/// A child was handed to the group (it may still wait for a slot).
public struct TaskSpawned: Hashable, Sendable {
    public var task: TaskID
    public var group: GroupID
    public var name: String
    public var site: SourceSite
    /// Set for a child that runs in a supervised worker process.
    public var isolated: Bool

    public init(task: TaskID, group: GroupID, name: String, site: SourceSite, isolated: Bool = false) {
        self.task = task; self.group = group; self.name = name; self.site = site; self.isolated = isolated
    }
}

/// A child started running (after it got a slot under the group's limit).
public struct TaskStarted: Hashable, Sendable {
    public var task: TaskID
    public var group: GroupID
    /// How long the child waited for a slot, in nanoseconds.
    public var waitedNanoseconds: UInt64

    public init(task: TaskID, group: GroupID, waitedNanoseconds: UInt64 = 0) {
        self.task = task; self.group = group; self.waitedNanoseconds = waitedNanoseconds
    }
}

/// How a child ended.
public enum TaskStatus: String, Hashable, Sendable, CaseIterable {
    case ok
    case failed
    case cancelled
    case timedOut = "timed-out"
    case crashed
}

/// A child ended. Every spawned child ends exactly once.
public struct TaskEnded: Hashable, Sendable {
    public var task: TaskID
    public var group: GroupID
    public var status: TaskStatus
    /// From start to end, in nanoseconds.
    public var durationNanoseconds: UInt64
    /// Set when the child was still running long after it was cancelled.
    public var wasSlowToCancel: Bool

    public init(task: TaskID, group: GroupID, status: TaskStatus, durationNanoseconds: UInt64, wasSlowToCancel: Bool = false) {
        self.task = task; self.group = group; self.status = status
        self.durationNanoseconds = durationNanoseconds; self.wasSlowToCancel = wasSlowToCancel
    }
}

/// What kind of fault a child had.
public enum FaultKind: String, Hashable, Sendable, CaseIterable {
    /// The child threw an error.
    case error
    /// The child ran past its timeout and was cancelled.
    case timeout
    /// The child ended by cancellation that the group's policy (or its parent) caused.
    case cancelled
    /// The child's worker process crashed (isolated children only).
    case crash
}

/// One frame of a stack snippet.
public struct StackFrame: Hashable, Sendable {
    /// The demangled symbol name, or the address in hex when there is none.
    public var symbol: String
    /// The source file, when known.
    public var file: String?
    /// The source line, when known (0 when not).
    public var line: UInt32

    public init(symbol: String, file: String? = nil, line: UInt32 = 0) {
        self.symbol = symbol; self.file = file; self.line = line
    }
}

/// Everything a viewer needs to know about a fault; the wire form of `SafeGroup.Fault`.
public struct FaultInfo: Hashable, Sendable {
    public var task: TaskID
    public var taskName: String
    public var group: GroupID
    public var groupName: String
    public var site: SourceSite
    public var kind: FaultKind
    /// The error's type name, for example `Checkout.PaymentError` (empty for a timeout).
    public var errorType: String
    /// The error's description, or what happened (for a timeout or a crash).
    public var message: String
    public var startedAt: MonotonicTime
    public var endedAt: MonotonicTime
    /// Where the stack came from: `"throw"` (where the error was first thrown inside the child;
    /// for a timeout or cancellation, where the child was waiting), `"error"` (the error carried
    /// the stack of where it was created), `"worker"` (a crashed worker's backtrace) or `"none"`
    /// (no stack). Streams before wire format 1.2 also say `"recorded"`: a stack captured where
    /// the group caught the error, which shows none of that.
    public var stackOrigin: StackOrigin
    /// At most 32 frames, innermost first.
    public var stack: [StackFrame]
    /// The signal that ended a crashed worker, or nil.
    public var signal: Int32?

    public init(task: TaskID, taskName: String, group: GroupID, groupName: String, site: SourceSite,
                kind: FaultKind, errorType: String, message: String,
                startedAt: MonotonicTime, endedAt: MonotonicTime,
                stackOrigin: StackOrigin = .none, stack: [StackFrame] = [], signal: Int32? = nil) {
        self.task = task; self.taskName = taskName; self.group = group; self.groupName = groupName
        self.site = site; self.kind = kind; self.errorType = errorType; self.message = message
        self.startedAt = startedAt; self.endedAt = endedAt
        self.stackOrigin = stackOrigin; self.stack = stack; self.signal = signal
    }
}

/// A child was still running this long after its group was cancelled.
public struct SlowToCancel: Hashable, Sendable {
    public var task: TaskID
    public var group: GroupID
    /// Nanoseconds since the cancellation reached the group.
    public var sinceCancelNanoseconds: UInt64

    public init(task: TaskID, group: GroupID, sinceCancelNanoseconds: UInt64) {
        self.task = task; self.group = group; self.sinceCancelNanoseconds = sinceCancelNanoseconds
    }
}

/// Events were lost between the producer and this stream: `count` of them.
public struct Dropped: Hashable, Sendable {
    public var count: UInt64
    /// How many of `count` were fault-class events (``Event/isFaultClass``), which are dropped
    /// only when the share of the buffers kept for them is full. 0 when none (since 1.3).
    public var faults: UInt64
    public init(count: UInt64, faults: UInt64 = 0) {
        self.count = count
        self.faults = faults
    }
}

/// A sign of life from the producer, about once a second, with running totals.
public struct Heartbeat: Hashable, Sendable {
    /// Events produced so far by the process.
    public var produced: UInt64
    /// Events dropped so far for this stream.
    public var dropped: UInt64
    /// How many viewers were attached to the producer's socket, the reader itself included;
    /// nil when the producer does not say (the field is optional on the wire).
    public var viewers: Int?
    public init(produced: UInt64 = 0, dropped: UInt64 = 0, viewers: Int? = nil) {
        self.produced = produced; self.dropped = dropped; self.viewers = viewers
    }
}

/// The process is dying of a signal: the last event of a stream, written by the monitor's
/// crash handler (its "last gasp") just before the signal takes its course.
///
/// Written from inside a signal handler, so it carries only what can be known there without
/// allocating or locking: ids instead of names, and raw return addresses instead of symbols.
public struct ProcessCrashed: Hashable, Sendable {
    /// The signal number, for example 4 (`SIGILL`, what a Swift trap raises on x86_64).
    public var signal: Int32
    /// The signal's name, for example `SIGILL`.
    public var signalName: String
    /// What happened: Swift's `Fatal error: …` message when the runtime left one, else the
    /// signal's description (with its `si_code` meaning and faulting address when known).
    public var reason: String
    /// The SafeGroup child that was running on the crashing thread, if it was one.
    public var task: TaskID?
    /// The group of `task`.
    public var group: GroupID?
    /// The kernel thread id of the crashing thread.
    public var thread: Int32
    /// The faulting address, for `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE` raised by a fault.
    public var address: UInt64?
    /// The crashing thread's return addresses, innermost (the faulting instruction) first, as
    /// frames whose `symbol` is the address in hex; at most 32.
    public var stack: [StackFrame]
    /// The executable and libraries the stack's addresses are in, so that a reader can turn an
    /// address into an offset in a file (for `addr2line`, say); at most 33.
    public var images: [LoadedImage]

    public init(signal: Int32, signalName: String, reason: String, task: TaskID? = nil, group: GroupID? = nil,
                thread: Int32, address: UInt64? = nil, stack: [StackFrame] = [], images: [LoadedImage] = []) {
        self.signal = signal; self.signalName = signalName; self.reason = reason
        self.task = task; self.group = group; self.thread = thread; self.address = address; self.stack = stack
        self.images = images
    }

    /// The image `address` is in, and the address's offset in its file, when one is listed.
    public func image(of address: UInt64) -> (image: LoadedImage, offset: UInt64)? {
        // The innermost image that holds it, when mappings nest (a non-PIE executable's base is 0).
        let holding = images.filter { address >= $0.base && address - $0.base < $0.size }
        guard let image = holding.max(by: { $0.base < $1.base }) else { return nil }
        return (image, address - image.base)
    }
}

/// An executable or shared library loaded in a process, as a crash event lists it.
public struct LoadedImage: Hashable, Sendable {
    /// Its file.
    public var path: String
    /// Its load bias: an address in it, less `base`, is the address in the file.
    public var base: UInt64
    /// The bytes from `base` to the end of its last loaded segment.
    public var size: UInt64

    public init(path: String, base: UInt64, size: UInt64) {
        self.path = path; self.base = base; self.size = size
    }

    /// `image+0x1f2e`, what `addr2line -f -e IMAGE OFFSET` takes: the path sanitized for a
    /// terminal, the whole of it or only its file name.
    public func location(offset: UInt64, fileNameOnly: Bool = false) -> String {
        let name = fileNameOnly ? String(path.split(separator: "/").last ?? "") : path
        return "\(TextSanitizer.sanitize(name))+0x\(String(offset, radix: 16))"
    }
}

extension StackFrame {
    /// The frame's address, when its symbol is one (`0x` and hex digits, as unsymbolicated frames are).
    public var address: UInt64? {
        guard symbol.hasPrefix("0x") else { return nil }
        return UInt64(symbol.dropFirst(2), radix: 16)
    }
}

/// What a viewer asked the service to do over its socket, and what the service did: the record
/// of every request, naming the viewer's process id (from `SO_PEERCRED`). Since wire 1.5.
///
/// Requests are refused unless the service turned actions on (``ViewerAction/Result/refused``
/// with a ``reason``); docs/MONITOR.md has the threat model.
public struct ViewerAction: Hashable, Sendable {
    /// What a request names.
    public enum Target: Hashable, Sendable, CustomStringConvertible {
        case task(TaskID)
        case group(GroupID)

        public var description: String {
            switch self {
            case .task(let id): id.description
            case .group(let id): id.description
            }
        }
    }

    /// What the service did.
    public enum Result: String, Hashable, Sendable, CaseIterable {
        /// Cancellation was sent to the task (or to every child of the group): it ends as
        /// cancelled when its work next checks.
        case cancelled
        /// Nothing was done; ``ViewerAction/reason`` says why.
        case refused
    }

    /// The requesting viewer's process id.
    public var viewer: Int32
    /// The viewer's number for its request, echoed so it can tell its answer.
    public var request: UInt64
    /// The action asked for: `cancel` (the only one there is), or what an unknown request said.
    public var action: String
    /// The task or group named, if the request named one.
    public var target: Target?
    public var result: Result
    /// Why it was refused (nil when it was not).
    public var reason: String?

    public init(viewer: Int32, request: UInt64, action: String, target: Target?, result: Result, reason: String? = nil) {
        self.viewer = viewer
        self.request = request
        self.action = action
        self.target = target
        self.result = result
        self.reason = reason
    }
}
