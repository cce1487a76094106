import Dispatch
import GroupEvents
import Runtime
import Synchronization

/// A stack captured at one point of the program, symbolicated only when it is needed.
///
/// Capturing costs a few microseconds; turning addresses into names costs more, so it is
/// deferred until a fault is recorded. Frames of SafeGroup itself and of the concurrency
/// runtime are trimmed; at most ``maximumFrames`` frames are kept.
///
/// - Note: Swift's in-process unwinder (`Backtrace.capture`) crashes when it is called in the
///   synchronous prefix of an `async` `main` (before its first suspension) on Linux with
///   Swift 6.3. Child tasks are not affected; don't call ``here()`` from the first synchronous
///   part of `main`. SafeGroup's throw hook captures in children, and in the body of a group
///   without a sink (it runs in the task that opened the group): a throw there, before the
///   first suspension of an `async` `main`, is the one case left exposed (not reproduced here).
public struct CapturedStack: Sendable {
    /// The most frames a fault keeps.
    public static let maximumFrames = 32

    private let backtrace: Backtrace?
    private let withSourceLocations: Bool

    init(backtrace: Backtrace?, withSourceLocations: Bool) {
        self.backtrace = backtrace
        self.withSourceLocations = withSourceLocations
    }

    /// Captures the stack of the caller.
    ///
    /// Source lines are resolved for these stacks, since a caller that asks for one wants
    /// to know where: an error that carries its creation stack shows `file:line` per frame.
    @inline(never)
    public static func here() -> CapturedStack {
        CapturedStack(backtrace: try? Backtrace.capture(limit: 64, top: 0, images: StackImages.map),
                      withSourceLocations: true)
    }

    /// The frames, innermost first, trimmed and capped at ``maximumFrames``.
    ///
    /// Symbolicated on first need; a stack seen before (the same addresses: the same throw on
    /// the same path, which is most faults of a busy site) comes from a cache. Symbolicating a
    /// new one reads line tables: milliseconds in a release build, far more in a large debug
    /// one. Async code should `await` ``symbolicatedFrames()``, which does it off the task pool.
    public var frames: [StackFrame] {
        guard let backtrace else { return [] }
        let key = StackCache.Key(backtrace, withSourceLocations: withSourceLocations)
        if let frames = StackCache.frames(for: key) { return frames }
        let frames = Self.symbolicate(backtrace, withSourceLocations: withSourceLocations)
        StackCache.keep(frames, for: key)
        return frames
    }

    /// ``frames`` if they need no symbolicating now (none, or in the cache), else nil.
    var cachedFrames: [StackFrame]? {
        guard let backtrace else { return [] }
        return StackCache.frames(for: StackCache.Key(backtrace, withSourceLocations: withSourceLocations))
    }

    /// ``frames``, symbolicated on a thread of its own when they are not in the cache, so that
    /// a burst of new faults never holds the threads every task shares.
    /// Queued behind the same stack, it finds it in the cache: only distinct stacks cost.
    public func symbolicatedFrames() async -> [StackFrame] {
        guard let backtrace else { return [] }
        if let frames = StackCache.frames(for: StackCache.Key(backtrace, withSourceLocations: withSourceLocations)) { return frames }
        return await withCheckedContinuation { continuation in
            StackCache.symbolication.async { continuation.resume(returning: self.frames) }
        }
    }

    private static func symbolicate(_ backtrace: Backtrace, withSourceLocations: Bool) -> [StackFrame] {
        let options: Backtrace.SymbolicationOptions = withSourceLocations
            ? [.showSourceLocations, .showInlineFrames, .useSymbolCache] : [.useSymbolCache]
        guard let symbolicated = backtrace.symbolicated(with: StackImages.map, options: options) else { return [] }
        var frames: [StackFrame] = []
        frames.reserveCapacity(Self.maximumFrames)
        for frame in symbolicated.frames {
            if frames.count == Self.maximumFrames { break }
            guard let symbol = frame.symbol else {
                if case .omittedFrames = frame.captured { continue }
                if case .truncated = frame.captured { continue }
                frames.append(StackFrame(symbol: "\(frame.captured.adjustedProgramCounter)"))
                continue
            }
            if StackTrimming.isHidden(rawName: symbol.rawName, name: symbol.name, image: symbol.imageName) { continue }
            let location = symbol.sourceLocation
            // Compiler-generated thunks, and the standard library's generics specialized into the
            // caller (`Task.sleep`, `Clock.sleep`), say nothing the frame beside them doesn't.
            if location?.path.hasSuffix("<compiler-generated>") == true { continue }
            frames.append(StackFrame(symbol: symbol.name, file: location?.path, line: UInt32(clamping: location?.line ?? 0)))
        }
        return frames
    }
}

/// Stacks already symbolicated, by their addresses: symbolicating with source lines costs about
/// a millisecond, and the faults of one site mostly share one stack.
enum StackCache {
    struct Key: Hashable {
        let addresses: [UInt64]
        let withSourceLocations: Bool

        init(_ backtrace: Backtrace, withSourceLocations: Bool) {
            var addresses: [UInt64] = []
            for frame in backtrace.frames {
                // The kind matters: a return address is symbolicated one byte back.
                switch frame {
                case .programCounter(let address): addresses += [UInt64(address) ?? 0, 1]
                case .returnAddress(let address): addresses += [UInt64(address) ?? 0, 2]
                case .asyncResumePoint(let address): addresses += [UInt64(address) ?? 0, 3]
                case .omittedFrames(let count): addresses += [UInt64(clamping: count), 4]
                case .truncated: addresses += [0, 5]
                @unknown default: addresses += [0, 6]
                }
            }
            self.addresses = addresses
            self.withSourceLocations = withSourceLocations
        }
    }

    /// Where stacks missing from the cache are symbolicated: one serial queue, off the
    /// cooperative pool, at utility priority.
    static let symbolication = DispatchQueue(label: "safegroup.symbolication", qos: .utility)

    /// Bounded: when full, the oldest quarter goes, so memory stays small whatever the number of
    /// distinct stacks and the stacks in use stay.
    static let capacity = 512
    private struct Store {
        var frames: [Key: [StackFrame]] = [:]
        var order: [Key] = []
    }
    private static let cache = Mutex(Store())

    static func frames(for key: Key) -> [StackFrame]? { cache.withLock { $0.frames[key] } }

    static func keep(_ frames: [StackFrame], for key: Key) {
        cache.withLock { store in
            guard store.frames[key] == nil else { return }
            if store.frames.count >= capacity {
                for old in store.order.prefix(capacity / 4) { store.frames[old] = nil }
                store.order.removeFirst(capacity / 4)
            }
            store.frames[key] = frames
            store.order.append(key)
        }
    }
}

/// Decides which frames are noise in a fault's stack.
enum StackTrimming {
    /// The concurrency runtime, the C library and the thunks the compiler puts between them.
    private static let hiddenImages: [String] = ["libswift_Concurrency", "libdispatch", "libc.so", "libswiftCore", "libswiftRuntime"]
    private static let hiddenPrefixes: [String] = [
        "swift_task_", "swift::", "completeTask", "swift_job_run", "_dispatch_", "start_thread", "__clone",
        "thunk for ", "partial apply for thunk for ", "reabstraction thunk",
    ]

    static func isHidden(rawName: String, name: String, image: String) -> Bool {
        // Mangled names of this module start with $s9SafeGroup; its closures and thunks too.
        if rawName.hasPrefix("$s9SafeGroup") || rawName.hasPrefix("$s9SafeGroupAA") { return true }
        if name.hasPrefix("SafeGroup.") || name.contains(" in SafeGroup.") { return true }
        for prefix in hiddenPrefixes where name.hasPrefix(prefix) { return true }
        for hidden in hiddenImages where image.hasPrefix(hidden) { return true }
        return false
    }
}

/// The image map captured once per process: capturing it costs ~100 µs and it rarely changes.
enum StackImages {
    static let map: ImageMap = ImageMap.capture()

    private static let warmedUp = Atomic<Bool>(false)

    /// Loads the symbol tables in the background, once per process.
    ///
    /// The first symbolication in a process reads the images' symbol (and line) tables, which
    /// took over a second in a debug build here; without this, the first fault would pay
    /// for it on its child's path and hold a thread of the shared pool meanwhile.
    static func warmUpOnce() {
        guard !warmedUp.load(ordering: .relaxed), !warmedUp.exchange(true, ordering: .relaxed) else { return }
        Task.detached(priority: .background) {
            _ = CapturedStack.here().frames
        }
    }
}

/// An error that carries the stack of the place it was created.
///
/// When a child throws such an error, the fault shows this stack instead of the stack where
/// the group caught it (which, since Swift errors are returned values, holds none of the
/// frames that threw). Capturing costs a few microseconds, so opt in for rare errors only.
///
/// ```swift
/// struct PaymentDeclined: StackCarryingError {
///     let creationStack = CapturedStack.here()
/// }
/// ```
public protocol StackCarryingError: Error {
    /// Where the error was created.
    var creationStack: CapturedStack { get }
}

/// Wraps any error with the stack of the place it was wrapped.
///
/// ```swift
/// throw TracedError(PaymentError.declined)
/// ```
/// The fault reports the wrapped error's type and description, and this stack.
public struct TracedError<Base: Error>: StackCarryingError, CustomStringConvertible {
    /// The wrapped error.
    public let base: Base
    public let creationStack: CapturedStack

    @inline(never)
    public init(_ base: Base) {
        self.base = base
        self.creationStack = .here()
    }

    public var description: String { String(describing: base) }
}

/// An error that stands for another in faults (its type and description are reported).
protocol ErrorWrapper {
    var wrappedError: any Error { get }
}

extension TracedError: ErrorWrapper {
    var wrappedError: any Error { base }
}
