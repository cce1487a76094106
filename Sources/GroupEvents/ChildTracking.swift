import Synchronization

/// Lets a crash handler learn which child was running when the process trapped.
///
/// Like ``EventSystem``, a process-wide meeting point between SafeGroup (which does no I/O and
/// imports no C) and the monitor: SafeGroup calls two hooks that a crash handler installs (the
/// monitor's does, when its crash handler is on): `enter` when a child starts running and
/// `leave` when it ends, on the child's own task. The handler maps the current
/// async task to the child's ids; the hooks must be quick, lock-free and must not suspend.
///
/// Only children of groups that emit events (a group with a sink) are tracked, so the path of
/// a group without a sink is untouched. Until hooks are installed, tracking costs one atomic
/// load per child. A crash handler stays for the process's life, and so do its hooks (only
/// ``pause()``, for measurements, stops them).
public enum ChildTracking {
    /// Called when a child starts running on the current task: its task id and group id.
    /// Returns a token for `Leave` (negative when nothing was registered).
    public typealias Enter = @convention(c) (UInt64, UInt64) -> Int32
    /// Called with `Enter`'s token when the child stops running on that task.
    public typealias Leave = @convention(c) (Int32) -> Void

    @usableFromInline static let enterHook = Atomic<UInt>(0)
    @usableFromInline static let leaveHook = Atomic<UInt>(0)

    /// Installs the hooks; the last call wins.
    public static func install(enter: Enter, leave: Leave) {
        leaveHook.store(unsafeBitCast(leave, to: UInt.self), ordering: .releasing)
        enterHook.store(unsafeBitCast(enter, to: UInt.self), ordering: .releasing)
    }

    /// Stops calling `enter` for children that start from now on (children already
    /// registered still call `leave`). For benchmarks and tests that compare both ways; a crash
    /// handler that is still installed then names no child.
    public static func pause() {
        enterHook.store(0, ordering: .releasing)
    }

    /// Whether hooks are installed.
    public static var isInstalled: Bool { enterHook.load(ordering: .acquiring) != 0 }

    /// Registers the current task as child `task` of `group`; pass the token to ``leave(_:)``
    /// when the child stops running on this task. Inline calls rather than a closure: the
    /// child's path pays no extra async frame.
    @inlinable
    public static func enter(task: TaskID, group: GroupID) -> Int32 {
        let enter = enterHook.load(ordering: .acquiring)
        guard enter != 0 else { return -1 }
        return unsafeBitCast(enter, to: Enter.self)(task.rawValue, group.rawValue)
    }

    /// Unregisters what ``enter(task:group:)`` registered (nothing for a negative token).
    @inlinable
    public static func leave(_ token: Int32) {
        guard token >= 0 else { return }
        unsafeBitCast(leaveHook.load(ordering: .acquiring), to: Leave.self)(token)
    }
}
