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
/// load per child. Hooks cannot be removed: a crash handler stays for the process's life.
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

    /// Whether hooks are installed.
    public static var isInstalled: Bool { enterHook.load(ordering: .acquiring) != 0 }

    /// Runs `body` with the current task registered as child `task` of `group`.
    @inlinable
    public static func tracking<T, E: Error>(task: TaskID, group: GroupID, _ body: () async throws(E) -> T) async throws(E) -> T {
        let enter = enterHook.load(ordering: .acquiring)
        guard enter != 0 else { return try await body() }
        let token = unsafeBitCast(enter, to: Enter.self)(task.rawValue, group.rawValue)
        defer {
            if token >= 0 { unsafeBitCast(leaveHook.load(ordering: .acquiring), to: Leave.self)(token) }
        }
        return try await body()
    }
}
