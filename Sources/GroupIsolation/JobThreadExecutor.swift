import DequeModule
import Dispatch
import Synchronization
import SystemCalls

/// Runs a worker's jobs on one thread of its own, with an 8 MiB stack and an alternate signal
/// stack.
///
/// The alternate stack is what lets a job's stack overflow be reported: the Swift runtime's
/// crash handler needs a stack to run on, and the threads of the shared concurrency pool have
/// none, so a runaway recursion there ends the worker with a bare SIGSEGV and no backtrace.
final class JobThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// The job thread's stack: as large as a main thread's.
    static let stackSize = 8 << 20

    private let queue = Mutex(Deque<UnownedJob>())
    private let available = DispatchSemaphore(value: 0)

    init() throws(PosixError) {
        _ = try Posix.startThread(name: "isolated-job", stackSize: Self.stackSize, alternateSignalStack: true) { [self] in
            Posix.blockSIGPIPEInThisThread()
            runForever()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.withLock { $0.append(unowned) }
        available.signal()
    }

    private func runForever() -> Never {
        while true {
            available.wait()
            let job = queue.withLock { $0.removeFirst() }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
