#if canImport(Glibc)
internal import Glibc
#endif
import GroupEvents
import Runtime
import Synchronization

/// Records where errors thrown inside SafeGroup children were thrown, so that their faults show
/// the stack of the `throw`, not of the place the group caught them.
///
/// The Swift runtime calls a hook, `_swift_willThrow`, on every `throw` statement (the debugger's
/// "break on throw" and swift-testing use it). SafeGroup installs one the first time a group
/// opens, chaining to a hook that was there before. The hook returns at once unless the
/// current task is a SafeGroup child (or a task inside one); there it captures the stack (raw
/// addresses: a few microseconds) and keeps it beside the error's box. When the child ends with
/// that error, its fault takes the stack, symbolicated then.
///
/// Off with `SAFEGROUP_THROW_STACKS=0` in the environment, or ``isEnabled`` set to false before
/// the first group opens (set later, the hook stays but records nothing). See
/// docs/DESIGN-NOTES.md, "Where a fault happened", for the rules and the costs.
public enum ThrowSites {
    /// Whether throws inside children are recorded. Default: true, unless the environment says
    /// `SAFEGROUP_THROW_STACKS=0` (or `off`, `false`, `no`).
    public static var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) == 1 }
        set { configured.store(true, ordering: .relaxed); enabled.store(newValue ? 1 : 0, ordering: .relaxed) }
    }

    /// Whether the hook is installed in this process (it is once a group has opened, unless
    /// switched off) and recording. Children then bind their context even when their group has
    /// no sink, so the hook knows them.
    public static var isActive: Bool { installed.load(ordering: .relaxed) && enabled.load(ordering: .relaxed) == 1 }

    /// How many throws inside children were recorded so far in this process.
    public static var recordedCount: Int { recorded.load(ordering: .relaxed) }

    // 1: on, 0: off; read by the hook on every throw.
    private static let enabled = Atomic<Int>(1)
    private static let configured = Atomic<Bool>(false)
    private static let installed = Atomic<Bool>(false)
    /// Set once installing was tried, whatever came of it: later groups skip it for one load.
    private static let attempted = Atomic<Bool>(false)
    private static let installing = Mutex<Bool>(false)
    private static let recorded = Atomic<Int>(0)
    /// The hook that was installed before ours (0: none); ours calls it first.
    private static let previous = Atomic<UInt>(0)

    /// The hook's C type: the runtime calls it with the error's box (`SwiftError *`).
    typealias Hook = @convention(c) (UnsafeMutableRawPointer?) -> Void
    /// The typed-throws hook's C type: the error's value, its type's metadata and its conformance.
    typealias TypedHook = @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?) -> Void
    /// The typed hook ours chains to (0: none).
    private static let previousTyped = Atomic<UInt>(0)

    /// Installs the hook once per process (unless switched off); every group opening calls it.
    @usableFromInline
    static func installOnce() {
        if attempted.load(ordering: .relaxed) { return }
        installing.withLock { done in
            guard !done else { return }
            done = true
            if !configured.load(ordering: .relaxed), environmentSaysOff() { enabled.store(0, ordering: .relaxed) }
            guard enabled.load(ordering: .relaxed) == 1, let slot = runtimeHookSlot("_swift_willThrow") else { return }
            install(into: slot)
            // A typed throw calls `_swift_willThrowTypedImpl` when that is set (a test framework
            // sets it: the runtime reserves it for them), else `_swift_willThrow` with a box made
            // for the call. So join it only where it is set, chaining to what is there.
            if let typedSlot = runtimeHookSlot("_swift_willThrowTypedImpl"), typedSlot.pointee.load(ordering: .acquiring) != 0 {
                let old = typedSlot.pointee.exchange(unsafeBitCast(typedHook, to: UInt.self), ordering: .acquiringAndReleasing)
                previousTyped.store(old, ordering: .releasing)
            }
            installed.store(true, ordering: .releasing)
        }
        attempted.store(true, ordering: .releasing)
    }

    /// Puts ``willThrow(_:)`` into `slot` (the runtime's `_swift_willThrow`, or a test's stand-in),
    /// keeping what was there to chain to. A second call into a slot that already holds it does nothing.
    static func install(into slot: UnsafeMutablePointer<Atomic<UInt>>) {
        let ours = unsafeBitCast(hook, to: UInt.self)
        // Stored before ours goes in, so that no throw in between skips the hook that was there.
        let before = slot.pointee.load(ordering: .acquiring)
        if before != ours { previous.store(before, ordering: .releasing) }
        let old = slot.pointee.exchange(ours, ordering: .acquiringAndReleasing)
        if old != ours && old != before { previous.store(old, ordering: .releasing) }
    }

    /// The hook ours chains to (0: none); tests that install into a stand-in slot put it back.
    static var chained: UInt {
        get { previous.load(ordering: .acquiring) }
        set { previous.store(newValue, ordering: .releasing) }
    }

    private static let hook: Hook = { box in ThrowSites.willThrow(box) }
    private static let typedHook: TypedHook = { value, type, conformance in ThrowSites.willThrowTyped(value, type, conformance) }

    /// A hook variable of the runtime: a `std::atomic` of a function pointer, which has a pointer's layout.
    private static func runtimeHookSlot(_ name: String) -> UnsafeMutablePointer<Atomic<UInt>>? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return symbol.assumingMemoryBound(to: Atomic<UInt>.self)
        #else
        return nil
        #endif
    }

    private static func environmentSaysOff() -> Bool {
        #if canImport(Glibc)
        guard let raw = getenv("SAFEGROUP_THROW_STACKS") else { return false }
        return ["0", "off", "false", "no"].contains(String(cString: raw).lowercased())
        #else
        return false
        #endif
    }

    // MARK: The hook

    /// Called by the runtime on every `throw`, on the throwing thread.
    ///
    /// It must never crash or suspend, and must cost next to nothing outside SafeGroup children:
    /// outside them it is a chained call, an atomic load and a task-local lookup.
    static func willThrow(_ box: UnsafeMutableRawPointer?) {
        let chained = previous.load(ordering: .acquiring)
        if chained != 0 { unsafeBitCast(chained, to: Hook.self)(box) }
        guard let box, let child = currentChild() else { return }
        // The unwinder throws internally while it reads images, which calls this again on this
        // thread, inside the same child: those nested calls return here.
        guard Reentrancy.enter() else { return }
        defer { Reentrancy.leave() }
        let error = unsafeBitCast(box, to: (any Error).self)
        record(child: child, box: unsafeBitCast(box, to: (any AnyObject & Sendable).self), type: ObjectIdentifier(type(of: error)),
               typed: false)
    }

    /// Called by the runtime on a typed `throw` when a typed hook is set; the value has no box.
    static func willThrowTyped(_ value: UnsafeMutableRawPointer?, _ type: UnsafeRawPointer?, _ conformance: UnsafeRawPointer?) {
        let chained = previousTyped.load(ordering: .acquiring)
        if chained != 0 { unsafeBitCast(chained, to: TypedHook.self)(value, type, conformance) }
        guard let type, let child = currentChild() else { return }
        guard Reentrancy.enter() else { return }
        defer { Reentrancy.leave() }
        record(child: child, box: nil, type: ObjectIdentifier(unsafeBitCast(type, to: Any.Type.self)), typed: true)
    }

    /// Whether recording is on and the current task is a child (or in one): the cheap test every
    /// throw pays. Returns the current task's identity, which stands for the child in the ring.
    private static func currentChild() -> Int? {
        guard enabled.load(ordering: .relaxed) == 1, TaskContext.current != nil else { return nil }
        return currentTaskKey()
    }

    /// The current task's identity (its address's hash), for matching a typed throw to its fault.
    static func currentTaskKey() -> Int {
        withUnsafeCurrentTask { $0?.hashValue ?? 0 }
    }

    /// Captures and keeps the stack of a throw inside the child running on task `child`, unless
    /// it is not the error's first: a rethrow of a box already kept, or the first untyped throw
    /// of a typed error thrown just before on this task (`catch { throw error }` around a
    /// `throws(E)` call), which takes that typed throw's stack.
    private static func record(child: Int, box: (any AnyObject & Sendable)?, type: ObjectIdentifier, typed: Bool) {
        let now = MonotonicTime.now().rawValue
        // A rethrow of a box already kept needs nothing.
        if let box, log.withLock({ $0.isKept(box) }) { return }
        guard let backtrace = try? Backtrace.capture(limit: 64, top: 0, images: StackImages.map) else { return }
        // Without a typed hook, the runtime reports a typed throw here, with a box it frees at once.
        let typed = typed || TypedThrowFallback.calledThrough(backtrace)
        // An untyped throw just after a typed throw of its type is that error boxed anew.
        if let box, !typed, log.withLock({ $0.adopt(box: box, type: type, child: child, now: now) }) { return }
        // Timed after the capture, which takes far longer than an error's way out (in a debug build).
        let captured = MonotonicTime.now().rawValue
        log.withLock { $0.insert(box: box, type: type, child: child, time: captured, typed: typed, backtrace: backtrace) }
        recorded.add(1, ordering: .relaxed)
    }

    // MARK: Looking up

    /// Where `error` was first thrown inside a child, if that was recorded.
    ///
    /// Matched by the error's box, which `try` and `catch { throw error }` pass on unchanged. An
    /// error of a typed `throws(E)` has no lasting box (the runtime boxes it only for the hook),
    /// so for it the newest throw of the same type on the current task (the child's, when the
    /// child itself asks) stands in.
    static func stack(of error: any Error) -> CapturedStack? {
        guard installed.load(ordering: .relaxed), recorded.load(ordering: .relaxed) > 0 else { return nil }
        // `as any Error` keeps the existential closed: passed to a generic parameter as it is, it
        // would be opened, and the bits cast would be the error's value, not its box.
        let box = unsafeBitCast(error as any Error, to: (any AnyObject & Sendable).self)
        let child = currentTaskKey(), now = MonotonicTime.now().rawValue
        let backtrace = log.withLock { $0.find(box: box, type: ObjectIdentifier(type(of: error)), child: child, now: now) }
        return backtrace.map { CapturedStack(backtrace: $0, withSourceLocations: true) }
    }

    /// Keeps what `error` was thrown with beside its box, when only the current task can find
    /// it (a typed throw, found by its task): for an operation that runs in a task of its own
    /// and hands its error to the child's.
    static func pin(_ error: any Error) {
        guard installed.load(ordering: .relaxed), recorded.load(ordering: .relaxed) > 0 else { return }
        let box = unsafeBitCast(error as any Error, to: (any AnyObject & Sendable).self)
        let child = currentTaskKey(), now = MonotonicTime.now().rawValue
        log.withLock { log in
            guard !log.isKept(box),
                  let backtrace = log.find(box: box, type: ObjectIdentifier(type(of: error)), child: child, now: now) else { return }
            log.insert(box: box, type: ObjectIdentifier(type(of: error)), child: child, time: now, typed: false, backtrace: backtrace)
        }
    }

    /// The recorded throws: a ring of the most recent ones, so memory stays bounded whatever
    /// the children throw and keep.
    private static let log = Mutex(ThrowLog(capacity: 1024))
}

/// The newest throws inside children, each beside a weak reference to its error's box.
struct ThrowLog: ~Copyable {
    struct Entry: Sendable {
        /// Nil once the error is freed (its address may then belong to another error), and for a
        /// typed throw, which has no box.
        weak var box: (any AnyObject & Sendable)?
        let address: ObjectIdentifier?
        let type: ObjectIdentifier
        let child: Int
        let backtrace: Backtrace
        /// When its stack was kept (`MonotonicTime` nanoseconds).
        let time: UInt64
        /// A typed throw: its box, if any, was made for the hook alone.
        let typed: Bool
        /// For a throw with no lasting box: a later box took its stack (see ``adopt(box:type:child:now:)``).
        var adopted = false
    }

    /// How soon after a typed throw an untyped throw of its type on the same task is taken for
    /// the same error, boxed anew on its way out: propagation takes microseconds (more in a
    /// debug build); a new error of that type thrown that soon after is taken for it too.
    static let reboxWindow: UInt64 = 10_000_000

    private var ring: [Entry?]
    private var next = 0
    /// Where each live box's entry is in the ring.
    private var index: [ObjectIdentifier: Int] = [:]
    /// Where the newest throw of each type in each child is in the ring.
    private var newest: [ChildType: Int] = [:]

    struct ChildType: Hashable {
        let child: Int
        let type: ObjectIdentifier
    }

    init(capacity: Int) {
        ring = Array(repeating: nil, count: capacity)
    }

    /// Whether `box`'s throw is kept already (this throw is a rethrow).
    func isKept(_ box: any AnyObject & Sendable) -> Bool {
        if let at = index[ObjectIdentifier(box)], let entry = ring[at], entry.box === box { return true }
        return false
    }

    /// True when an untyped throw of `box` is a typed error thrown just before on this task,
    /// boxed anew: it then takes that typed throw's stack.
    mutating func adopt(box: any AnyObject & Sendable, type: ObjectIdentifier, child: Int, now: UInt64) -> Bool {
        guard let at = newest[ChildType(child: child, type: type)], let typed = ring[at], typed.typed, !typed.adopted,
              now &- typed.time <= Self.reboxWindow else { return false }
        ring[at]!.adopted = true
        insert(box: box, type: type, child: child, time: typed.time, typed: false, backtrace: typed.backtrace)
        return true
    }

    /// Keeps a throw's stack (the caller has checked that it is the error's first).
    mutating func insert(box: (any AnyObject & Sendable)?, type: ObjectIdentifier, child: Int, time: UInt64, typed: Bool,
                         backtrace: Backtrace) {
        let address = box.map { ObjectIdentifier($0) }
        if let old = ring[next] {
            if let address = old.address, index[address] == next { index[address] = nil }
            let key = ChildType(child: old.child, type: old.type)
            if newest[key] == next { newest[key] = nil }
        }
        ring[next] = Entry(box: box, address: address, type: type, child: child, backtrace: backtrace, time: time, typed: typed)
        if let address { index[address] = next }
        newest[ChildType(child: child, type: type)] = next
        next = (next + 1) % ring.count
    }

    /// How long after a typed throw a fault may still take its stack without a rethrow.
    static let typedLookupWindow: UInt64 = 1_000_000_000

    func find(box: any AnyObject & Sendable, type: ObjectIdentifier, child: Int, now: UInt64) -> Backtrace? {
        if let at = index[ObjectIdentifier(box)], let entry = ring[at], entry.box === box { return entry.backtrace }
        // A typed throw's box is freed at once (or never made): the newest typed throw of this
        // type on this task stands in.
        guard let at = newest[ChildType(child: child, type: type)], let entry = ring[at], entry.typed, entry.box == nil,
              now &- entry.time <= Self.typedLookupWindow else { return nil }
        return entry.backtrace
    }
}

/// Tells a typed throw that reached `_swift_willThrow` through the runtime's fallback (no typed
/// hook set): the hook's caller is then `swift_willThrowTypedImpl`, not `swift_willThrow`.
///
/// Both are a few dozen bytes of libswiftCore, found with `dlsym`; the first return address in
/// either of them (the hook's own caller, before the throwing code's frames) says which.
private enum TypedThrowFallback {
    /// Each is under 100 bytes of code on this toolchain (37 and 82).
    private static let span: UInt = 128
    #if canImport(Glibc)
    private static let entries: (untyped: UInt, typed: UInt) = {
        func address(_ name: String) -> UInt {
            dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { UInt(bitPattern: $0) } ?? 0
        }
        return (address("swift_willThrow"), address("swift_willThrowTypedImpl"))
    }()
    #else
    private static let entries: (untyped: UInt, typed: UInt) = (0, 0)
    #endif

    static func calledThrough(_ backtrace: Backtrace) -> Bool {
        let (untyped, typed) = entries
        guard typed != 0 else { return false }
        for frame in backtrace.frames.prefix(8) {
            guard case .returnAddress(let address) = frame, let pc = UInt(address) else { continue }
            let inTyped = pc > typed && pc - typed < span
            let inUntyped = untyped != 0 && pc > untyped && pc - untyped < span
            switch (inTyped, inUntyped) {
            case (false, false): continue
            case (true, false): return true
            case (false, true): return false
            case (true, true): return typed > untyped  // the nearer entry below is its function
            }
        }
        return false
    }
}

/// A per-thread flag: whether ``ThrowSites/willThrow(_:)`` is already running on this thread.
private enum Reentrancy {
    #if canImport(Glibc)
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "SafeGroup: cannot create the throw hook's thread-local key")
        return key
    }()
    static func enter() -> Bool {
        guard pthread_getspecific(key) == nil else { return false }
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        return true
    }

    static func leave() { pthread_setspecific(key, nil) }
    #else
    static func enter() -> Bool { false }
    static func leave() {}
    #endif
}
