import Foundation
import GroupEvents
@testable import GroupMonitor
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// The crash handler, end to end: `monitor-fixture crash` runs a group whose child "doomed"
/// traps in-process on command, with a viewer attached and a recording on.
@Suite("Last gasp of a crashing service", .serialized)
struct LastGaspTests {
    /// What one crashing run left behind.
    struct Run {
        var signal: Int32?
        var recording: [WireRecord]
        var viewer: [WireRecord]
        var viewerSawEOF: Bool
        var stderr: String

        var recordedEvents: [(seq: UInt64, event: Event)] {
            recording.compactMap { if case .event(let seq, let event) = $0 { (seq, event) } else { nil } }
        }
        var viewerEvents: [Event] {
            viewer.compactMap { if case .event(_, let event) = $0 { event } else { nil } }
        }
        /// How many of the crash's frames are in the fixture's own executable (where the
        /// trapping function is), by the images the event lists.
        static func fixtureFrames(_ crash: ProcessCrashed) -> Int {
            crash.stack.count { frame in
                guard let address = frame.address, let found = crash.image(of: address) else { return false }
                return found.image.path.hasSuffix("/monitor-fixture")
            }
        }
        /// The id of the child spawned under `name`, from the recording.
        func task(named name: String) -> TaskSpawned? {
            recordedEvents.lazy.compactMap { if case .taskSpawned(let e) = $0.event.kind, e.name == name { e } else { nil } }.first
        }
    }

    /// Runs the fixture until its child traps the way `how` says, and reaps it.
    func crash(_ how: String, handler: Bool = true, backtrace: String = "enable=no") async throws -> Run {
        let dir = ScratchDirectory(prefix: "sgmon")
        let socket = dir.file("svc.sock"), recording = dir.file("rec.ndjson")
        let fixture = try ChildProcess(
            FixtureProcess.executablePath, ["crash", socket, recording, how] + (handler ? [] : ["--no-handler"]),
            environment: ["SWIFT_BACKTRACE": backtrace], in: dir, input: true, output: .lines)
        let running = fixture.readLine()
        #expect(running == "running \(fixture.pid)")

        // A viewer attached before the crash: it must see the child start, then the crash.
        let viewer = try TestClient(path: socket)
        viewer.read(until: { records in
            records.contains { if case .event(_, let e) = $0, case .taskStarted(let s) = e.kind, s.task == TaskID(2) { true } else { false } }
        })
        // And on disk: lines still in the monitor's buffers when it crashes are lost (the seq
        // gap counts them), so the child's start must be written before it traps.
        let recorded = await eventually {
            ((try? String(contentsOfFile: recording, encoding: .utf8)) ?? "").contains(#""type":"task.started","task":2"#)
        }
        #expect(recorded)
        fixture.send("not a number")
        viewer.read(until: { _ in false }, limit: .seconds(30))
        let signal = fixture.terminatingSignal
        try? viewer.decoder.finish()
        while let record = viewer.decoder.next() { viewer.records.append(record) }

        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: recording)))
        let decoded = try WireDecoder.decode(bytes)
        let errorText = fixture.errorsSoFar
        return Run(signal: signal, recording: decoded.records, viewer: viewer.records, viewerSawEOF: viewer.closedByPeer, stderr: errorText)
    }

    @Test func forceUnwrapInAChildEndsTheRecordingWithACrashEventNamingTheTask() async throws {
        let run = try await crash("nil")
        let doomed = try #require(run.task(named: "doomed"))
        let last = try #require(run.recordedEvents.last)
        guard case .processCrashed(let crash) = last.event.kind else {
            Issue.record("the recording ends with \(last.event.kind), not process.crashed")
            return
        }
        #expect(crash.task == doomed.task)
        #expect(crash.group == doomed.group)
        #expect(crash.signal == SIGILL, "a Swift trap is ud2 on x86_64")
        #expect(crash.signalName == "SIGILL")
        #expect(crash.reason.contains("Fatal error: Unexpectedly found nil while unwrapping an Optional value"), "\(crash.reason)")
        #expect(!crash.stack.isEmpty && crash.stack.allSatisfy { $0.symbol.hasPrefix("0x") && $0.symbol.count == 18 })
        // Swift's trap is in libswiftCore (`_assertionFailure`); the frame walk goes on to the
        // function that unwrapped (`process`) and its caller, the child's closure, in the fixture.
        #expect(Run.fixtureFrames(crash) >= 2, "\(crash.stack) in \(crash.images)")
        // It continues the stream: the next seq, and a time on the same clock, after the others.
        let before = run.recordedEvents.dropLast()
        #expect(last.seq == (before.last?.seq ?? 0) + 1)
        #expect(before.allSatisfy { $0.event.time <= last.event.time })
        #expect(last.event.time.nanoseconds(since: before.last!.event.time) < 60_000_000_000)
        #expect(run.signal == SIGILL, "the process still dies of the original signal")
    }

    @Test func attachedViewerReceivesTheCrashEventBeforeTheEndOfTheStream() async throws {
        let run = try await crash("nil")
        #expect(run.viewerSawEOF)
        guard case .processCrashed(let crash)? = run.viewerEvents.last?.kind else {
            Issue.record("the viewer's last event is \(String(describing: run.viewerEvents.last)), not process.crashed")
            return
        }
        #expect(crash.task == run.task(named: "doomed")?.task)
        // The crash line starts with a newline: at most one blank line, never a malformed one.
        #expect(!run.viewer.contains { if case .diagnostic = $0 { true } else { false } }, "\(run.viewer)")
    }

    @Test func exitStatusIsTheSameWithAndWithoutTheHandler() async throws {
        for how in ["nil", "abort"] {
            let without = try await crash(how, handler: false)
            let with = try await crash(how, handler: true)
            #expect(without.signal != nil)
            #expect(with.signal == without.signal, "\(how): died of \(String(describing: with.signal)), not \(String(describing: without.signal))")
            #expect(!without.recordedEvents.contains { if case .processCrashed = $0.event.kind { true } else { false } })
            if case .processCrashed(let crash)? = with.recordedEvents.last?.event.kind {
                #expect(crash.signal == with.signal)
            } else {
                Issue.record("\(how): no crash event at the end of the recording")
            }
        }
    }

    @Test func stackOverflowInAChildIsReportedFromTheAlternateSignalStack() async throws {
        let run = try await crash("overflow")
        #expect(run.signal == SIGSEGV)
        guard case .processCrashed(let crash)? = run.recordedEvents.last?.event.kind else {
            Issue.record("no crash event at the end of the recording")
            return
        }
        #expect(crash.signal == SIGSEGV)
        #expect(crash.task == run.task(named: "doomed")?.task)
        #expect(crash.address != nil)
        // The overflowed stack is walked in full from the alternate stack: `exhaustStack`, over and over.
        #expect(crash.stack.count == 32, "\(crash.stack)")
        #expect(Run.fixtureFrames(crash) == 32, "\(crash.stack) in \(crash.images)")
        let without = try await self.crash("overflow", handler: false)
        #expect(without.signal == run.signal)
    }

    /// A crash whose stack cannot be walked (the frame pointer is garbage): the handler must not
    /// fault in its own walk (its signals are blocked while it runs, so a fault would kill the
    /// process at once, with SIGSEGV, and no event).
    @Test func trapWithACorruptFramePointerStillWritesTheEventAndDiesOfTheSameSignal() async throws {
        let without = try await crash("badfp", handler: false)
        let run = try await crash("badfp")
        #expect(without.signal == SIGILL)
        #expect(run.signal == without.signal, "died of \(String(describing: run.signal))")
        guard case .processCrashed(let crash)? = run.recordedEvents.last?.event.kind else {
            Issue.record("no crash event at the end of the recording")
            return
        }
        #expect(crash.signal == SIGILL)
        #expect(crash.task == run.task(named: "doomed")?.task)
        // The faulting instruction, then nothing: the chain starts at 0x10, outside the stack.
        #expect(crash.stack.count == 1 && Run.fixtureFrames(crash) == 1, "\(crash.stack)")
    }

    @Test func trapInATaskTheChildMadeItselfNamesNoChild() async throws {
        let run = try await crash("detached")
        #expect(run.signal == SIGILL)
        guard case .processCrashed(let crash)? = run.recordedEvents.last?.event.kind else {
            Issue.record("no crash event at the end of the recording")
            return
        }
        #expect(crash.task == nil && crash.group == nil)
        #expect(crash.reason.contains("Fatal error: Unexpectedly found nil"))
    }

    @Test func swiftsOwnBacktraceStillAppearsWithTheHandlerInstalled() async throws {
        let run = try await crash("nil", backtrace: "enable=yes,interactive=no,symbolicate=off")
        #expect(run.signal == SIGILL)
        #expect(run.stderr.contains("Program crashed: Illegal instruction"), "\(run.stderr.prefix(2000))")
        #expect(run.stderr.contains("crashed:"), "Swift's backtracer names the crashed thread")
        if case .processCrashed? = run.recordedEvents.last?.event.kind {} else {
            Issue.record("no crash event at the end of the recording")
        }
    }
}
