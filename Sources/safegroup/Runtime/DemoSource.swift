import Dashboard
import DemoWorkloads
import GroupEvents
import GroupIsolation
import SystemCalls

/// The source of `demo`: the demo workloads (``DemoDriver``) running in this process, their
/// events going to the dashboard through a ``DashboardEventSink``, and the demo keys carried
/// out on their ``DemoControl``.
///
/// With a recording, every record the dashboard gets is also written to the file, in the
/// wire format, so `safegroup replay` can play the session back.
struct DemoSource: DashboardSource {
    let mode = DashboardMode.demo
    private(set) var failure: CommandFailure?
    let driver: DemoDriver
    private let sink: DashboardEventSink
    private let work: Task<Void, Never>
    private let header: WireHeader
    private var sentHeader = false
    private var sentConnected = false
    private var seq: UInt64 = 0
    private var recording: OutputStream?
    private let encoder = WireEncoder()
    /// Where the `c` key's jobs run: this binary, started again as a worker.
    private let workers: WorkerPool?
    /// Why there are no workers, when there are none.
    private let workersFailure: String?

    /// Starts the workloads with `seed` (random when nil), also writing to `recording` when given.
    init(seed: UInt64?, recording: OutputStream?) {
        let sink = DashboardEventSink()
        self.sink = sink
        do {
            // One worker: it runs the driver's scheduled invoice imports (every third one traps
            // it) and the `c` key's; a replacement starts at each crash. Its output must stay
            // off the screen.
            workers = try WorkerPool(.init(size: 1, output: .keepTail))
            workersFailure = nil
        } catch {
            workers = nil
            workersFailure = "\(error)"
        }
        let driver = DemoDriver(.init(seed: seed, sink: sink, workers: workers))
        self.driver = driver
        self.recording = recording
        // The epoch is the wall-clock time of monotonic zero, as a monitor's header gives it.
        header = WireHeader(service: "demo (seed \(driver.seed))", pid: Posix.pid,
                            epochUnixNanoseconds: Int64(Posix.wallClockNanoseconds()) - Int64(MonotonicTime.now().rawValue))
        work = Task.detached { await driver.run() }
    }

    mutating func poll(_ deliver: (DashboardMessage) -> Void) {
        var records: [WireRecord] = []
        if !sentHeader {
            sentHeader = true
            records.append(.header(header))
            let (encoder, header) = (self.encoder, self.header)
            record { encoder.encodeHeader(header, into: &$0) }
        }
        let encoder = self.encoder
        for event in sink.take() {
            seq += 1
            let number = seq
            records.append(.event(seq: number, event))
            record { encoder.encode(event, seq: number, into: &$0) }
        }
        flushRecording()
        if !records.isEmpty { deliver(.records(records)) }
        // In-process, the stream is there from the start: never "connecting".
        if sentHeader, !sentConnected {
            sentConnected = true
            deliver(.connection(.connected))
        }
    }

    mutating func perform(_ effect: DashboardEffect, _ deliver: (DashboardMessage) -> Void) {
        guard case .demo(let command) = effect else { return }
        deliver(.notice(notice(for: command)))
    }

    /// What a demo key did, in a line for the footer.
    private func notice(for command: DemoAction) -> String {
        let control = driver.control
        switch command {
        case .injectError:
            return control.injectError().map { "error injected into \($0.name)" } ?? "no running child to inject an error into"
        case .injectTimeout:
            return control.injectTimeout().map { "timeout injected into \($0.name)" } ?? "no running child to make time out"
        case .injectCrash:
            // A real trap, in a worker process: the dashboard records the crash and goes on.
            guard let crash = control.injectCrash() else {
                return "no worker process for a crash: \(workersFailure ?? "isolation is off")"
            }
            return "\(crash.name): a malformed invoice will trap its parser (\(crash.kind.rawValue)) in a worker"
        case .burst:
            return "started \(control.burst(1_000))"
        case .cancelGroup(let group):
            return Self.cancel(group, with: control)
        }
    }

    /// Cancels the selected group when it is a running workload's top-level group; otherwise
    /// says why not and what to select instead.
    static func cancel(_ group: GroupID?, with control: DemoControl) -> String {
        guard let group else { return "select a group (or a task in it) to cancel it with x" }
        if let run = control.cancelGroup(group) { return "cancelling \(run.name) (\(group)) and every child in it" }
        return "\(group) is not a running workload's top-level group: only those can be cancelled from outside "
            + "(select a root group of the tree)"
    }

    mutating func finish() {
        work.cancel()
        workers?.shutdown()
        flushRecording()
    }

    private mutating func record(_ body: (inout [UInt8]) -> Void) {
        guard recording != nil else { return }
        do {
            try recording!.withBuffer(body)
        } catch {
            stopRecording(error)
        }
    }

    private mutating func flushRecording() {
        guard recording != nil else { return }
        do {
            try recording!.flush()
        } catch {
            stopRecording(error)
        }
    }

    /// A failed write ends the demo with the error: a recording with a hole would mislead.
    private mutating func stopRecording(_ error: PosixError) {
        recording = nil
        failure = CommandFailure(error.description)
    }
}
