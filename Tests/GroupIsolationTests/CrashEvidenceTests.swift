@testable import GroupIsolation
import Testing

/// Reading a crashed worker's output: the runtime's line, the backtracer's banner and report.
struct CrashEvidenceTests {
    /// A report as swift-backtrace writes it (format=json, threads=crashed), shortened.
    static func report(description: String, fault: String = "0x00007f796396df7f", rsp: String = "0x00007ffc8d925690",
                       frames: String) -> String {
        #"{ "timestamp": "2026-11-29T15:17:09Z", "kind": "crashReport", "description": "\#(description)", "faultAddress": "\#(fault)", "platform": "Linux", "architecture": "x86_64", "threads": [ { "name": "isolated-job", "crashed": true, "registers": {"rsp": "\#(rsp)"}, "frames": [ \#(frames) ] } ], "omittedThreads": 3, "backtraceTime": 0.04 }"#
    }

    static let trapFrames = """
        { "kind": "programCounter", "address": "0x1", "symbol": "$ss17_assertionFailure", "offset": 623, "description": "_assertionFailure(_:_:file:line:flags:) + 623", "image": "libswiftCore.so" }, \
        { "kind": "returnAddress", "address": "0x2", "symbol": "$s3App5ParseV4lineSiyF", "offset": 434, "description": "Parser.line() + 434", "image": "app", "sourceLocation": { "file": "/src/Parser.swift", "line": 41, "column": 9 } }, \
        { "kind": "returnAddress", "address": "0x3", "symbol": "$s14GroupIsolation14IsolatedWorkerO5serve", "offset": 10, "description": "static IsolatedWorker.serve(_:) + 10", "image": "app" }, \
        { "kind": "returnAddress", "address": "0x4", "symbol": "thunk", "offset": 1, "description": "thunk for @escaping @callee_guaranteed () -> () + 1", "image": "app", "thunk": true }, \
        { "kind": "returnAddress", "address": "0x5", "description": "swift::runJobInEstablishedExecutorContext + 3", "image": "libswift_Concurrency.so" }, \
        { "kind": "truncated" }
        """

    private func observe(_ lines: [String]) -> CrashEvidence {
        var evidence = CrashEvidence()
        for line in lines { evidence.observe(Array(line.utf8)[...]) }
        return evidence
    }

    @Test func runtimeReasonSignalAndTheJobsOwnFrames() {
        let evidence = observe([
            "App/Parser.swift:41: Fatal error: Unexpectedly found nil while unwrapping an Optional value",
            "*** Signal 4: Backtracing from 0x7f796396df7f... done ***",
            Self.report(description: "Illegal instruction", frames: Self.trapFrames),
        ])
        #expect(evidence.isCrashing)
        let crash = evidence.crash(job: "parse", pid: 77, exit: .signalled(4), tail: ["before"])
        #expect(crash.signal == 4)
        #expect(crash.reason == "Unexpectedly found nil while unwrapping an Optional value")
        #expect(crash.stack.map(\.symbol) == ["Parser.line()"])
        #expect(crash.stack.first?.file == "/src/Parser.swift")
        #expect(crash.stack.first?.line == 41)
        #expect(crash.outputTail == ["before"])
        #expect(crash.faultDescription.kind == .crash)
        #expect(crash.faultDescription.stackOrigin == "worker")
    }

    @Test func optimizedBuildsReasonComesFromTheRuntimeFailureFrame() {
        let frames = """
            { "kind": "programCounter", "address": "0x1", "description": "Swift runtime failure: Index out of range + 0", "image": "app", "inlined": true, "runtimeFailure": true }, \
            { "kind": "programCounter", "address": "0x1", "description": "Table.row(_:) + 12", "image": "app" }
            """
        let evidence = observe(["*** Signal 4: Backtracing from 0x1...", Self.report(description: "Index out of range", frames: frames)])
        let crash = evidence.crash(job: "rows", pid: 1, exit: .signalled(4), tail: [])
        #expect(crash.reason == "Index out of range")
        #expect(crash.stack.map(\.symbol) == ["Table.row(_:)"])
    }

    @Test func segfaultNextToTheStackPointerIsAStackOverflowAndDeepStacksKeepBothEnds() {
        var frames = (0..<40).map { #"{ "kind": "returnAddress", "address": "0x\#($0)", "description": "recurse(_:) + 5", "image": "app" }"# }
        frames.append(#"{ "kind": "omittedFrames", "count": 74000 }"#)
        frames += (0..<11).map { #"{ "kind": "returnAddress", "address": "0x\#($0)", "description": "outer\#($0)() + 1", "image": "app" }"# }
        let evidence = observe([
            "*** Signal 11: Backtracing from 0x7ffd42f41fb8...",
            Self.report(description: "Bad pointer dereference", fault: "0x00007ffd42f41fb8", rsp: "0x00007ffd42f41f10",
                        frames: frames.joined(separator: ", ")),
        ])
        let crash = evidence.crash(job: "deep", pid: 1, exit: .signalled(11), tail: [])
        #expect(crash.signal == 11)
        #expect(crash.reason.hasPrefix("stack overflow"))
        #expect(crash.stack.count == 32)
        #expect(crash.stack.first?.symbol == "recurse(_:)")
        #expect(crash.stack.contains { $0.symbol == "… 74000 frames omitted …" })
        #expect(crash.stack.last?.symbol == "outer10()")
    }

    @Test func killedWorkerWithoutAnyOutputIsAnHonestCrash() {
        let crash = CrashEvidence().crash(job: "sleep", pid: 9, exit: .signalled(9), tail: [])
        #expect(crash.reason == "the worker was killed (SIGKILL)")
        #expect(crash.stack.isEmpty)
        let exited = CrashEvidence().crash(job: "exit", pid: 9, exit: .exited(3), tail: [])
        #expect(exited.signal == nil)
        #expect(exited.exitStatus == 3)
    }

    @Test func ordinaryLinesAreNotACrash() {
        let evidence = observe(["starting", "{ \"json\": \"but not a report\" }", "*** Not a signal"])
        #expect(!evidence.isCrashing)
    }

    @Test func aFatalErrorLineAloneIsNotACrashButSuppliesASanitizedCappedReason() {
        let hostile = "Fatal error: \u{1B}]0;owned\u{07}" + String(repeating: "x", count: 10_000)
        let evidence = observe(["log: user wrote " + hostile])
        #expect(!evidence.isCrashing)
        // Should the worker then die, the line is the reason: sanitized and capped.
        let crash = evidence.crash(job: "log", pid: 3, exit: .signalled(4), tail: [])
        #expect(!crash.reason.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(crash.reason.hasPrefix("\\u{1B}]0;owned"))
        #expect(crash.reason.utf8.count <= CrashEvidence.maximumReasonBytes + 16)
    }

    @Test func outputCollectorSeesTheBannerBeforeItsLineEndsAndSanitizesTheTail() {
        var collector = WorkerOutputCollector(pid: 5, tailLines: 2, forward: false)
        let chunks = ["one\n", "\u{1B}[31mred\u{1B}[0m\n", "three\n", "*** Signal 11: Backtracing from 0x1"]
        var crashing: [Bool] = []
        for chunk in chunks {
            let bytes = Array(chunk.utf8)
            crashing.append(bytes.withUnsafeBytes { collector.append($0) })
        }
        #expect(crashing == [false, false, false, true])
        #expect(collector.tail == ["?[31mred?[0m", "three"])
    }

    /// Every code point the event stream's sanitizer escapes is hidden in a worker's output
    /// too (bidi marks and line separators among them); tabs stay.
    @Test func outputCollectorHidesWhatTheStreamSanitizerEscapes() {
        var collector = WorkerOutputCollector(pid: 5, tailLines: 1, forward: false)
        let line = "a\tb\u{061C}c\u{200E}d\u{200F}e\u{2028}f\u{2029}g\u{202E}h\u{2067}i\u{9B}j\n"
        _ = Array(line.utf8).withUnsafeBytes { collector.append($0) }
        #expect(collector.tail == ["a\tb?c?d?e?f?g?h?i?j"])
    }
}
