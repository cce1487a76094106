import Foundation
import GroupIsolation

/// The `isolation-fixture` worker binary, built next to the test bundle.
let fixtureExecutable: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("isolation-fixture").path
}()

/// A pool of fixture workers.
func fixturePool(size: Int = 1, symbolication: WorkerPool.Symbolication = .full,
                 onEvent: (@Sendable (WorkerPoolEvent) -> Void)? = nil) throws -> WorkerPool {
    try WorkerPool(.init(size: size, executable: fixtureExecutable, symbolication: symbolication, onEvent: onEvent))
}

/// The descriptors this process has open now.
func openDescriptors() -> Set<Int32> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return Set(names.compactMap { Int32($0) })
}

/// The process ids of this process's children that are zombies or alive (from /proc).
func childProcesses() -> Set<Int32> {
    let me = getpid()
    var children: Set<Int32> = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 2, Int32(fields[1]) == me { children.insert(pid) }
    }
    return children
}

/// Whether process `pid` exists (alive or a zombie).
func processExists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}
