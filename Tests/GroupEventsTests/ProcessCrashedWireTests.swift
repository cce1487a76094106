import GroupEvents
import Testing

/// The `process.crashed` line as the crash handler writes it (by hand, in C, from a signal
/// handler): it starts with a newline, so it may follow a torn line, and may omit the task.
@Suite struct ProcessCrashedWireTests {
    /// Exactly the layout of CSystem's CrashHandler.c, leading newline included.
    static let handlerLine = "\n" + #"{"seq":6,"t":1004440629,"type":"process.crashed","signal":4,"signalName":"SIGILL","reason":"main.swift:155: Fatal error: Unexpectedly found nil while unwrapping an Optional value","task":2,"group":1,"thread":11412,"address":140171676147583,"stack":[{"symbol":"0x00007f7c42f6df7f"},{"symbol":"0x000055a06bb00f4a"}],"images":[{"path":"/usr/lib/swift/linux/libswiftCore.so","base":140171672403968,"size":5238784},{"path":"/srv/app","base":94147488776192,"size":9437184}]}"# + "\n"

    @Test func handlerLineAfterACompleteLineDecodesWithNoDiagnostic() throws {
        let decoded = try decode(headerLine + "\n" + startedLine(seq: 5) + "\n" + Self.handlerLine)
        #expect(decoded.records.diagnostics.isEmpty, "the empty line is skipped silently")
        guard case .processCrashed(let crash)? = decoded.records.events.last?.kind else {
            Issue.record("no crash event in \(decoded.records)")
            return
        }
        #expect(crash == ProcessCrashed(
            signal: 4, signalName: "SIGILL",
            reason: "main.swift:155: Fatal error: Unexpectedly found nil while unwrapping an Optional value",
            task: TaskID(2), group: GroupID(1), thread: 11412, address: 140_171_676_147_583,
            stack: [StackFrame(symbol: "0x00007f7c42f6df7f"), StackFrame(symbol: "0x000055a06bb00f4a")],
            images: [LoadedImage(path: "/usr/lib/swift/linux/libswiftCore.so", base: 140_171_672_403_968, size: 5_238_784),
                     LoadedImage(path: "/srv/app", base: 94147488776192, size: 9_437_184)]))
        // Each frame's image and offset in it, for addr2line.
        let top = try #require(crash.image(of: 0x00007f7c42f6df7f))
        #expect(top.image.path == "/usr/lib/swift/linux/libswiftCore.so" && top.offset == 0x00007f7c42f6df7f - 140_171_672_403_968)
        #expect(crash.image(of: 0x000055a06bb00f4a)?.image.path == "/srv/app")
        #expect(crash.image(of: 0x10) == nil)
        // The encoder writes the same bytes, so `dump --json` reproduces the handler's line.
        #expect(encodeLine(decoded.records.events.last!, seq: 6) == String(Self.handlerLine.dropFirst()))
    }

    @Test func handlerLineAfterATornLineReportsTheTornPartAsMalformedAndKeepsTheCrash() throws {
        let torn = #"{"seq":5,"t":1000,"type":"task.sta"#
        let decoded = try decode(headerLine + "\n" + torn + Self.handlerLine)
        #expect(decoded.counters.malformed == 1)
        #expect(decoded.records.diagnostics.count == 1)
        #expect(decoded.records.events.count == 1)
        if case .processCrashed? = decoded.records.events.last?.kind {} else { Issue.record("the crash was lost") }
    }

    /// A monitor write that outlasted the handler's 200 ms wait goes on after the crash line:
    /// the rest of its torn line, perhaps whole lines after it. The crash is still read, the two
    /// pieces of the torn line are one malformed line each, and whole lines still decode.
    @Test func tornLineWhoseRestFollowsTheCrashLineKeepsTheCrash() throws {
        let started = startedLine(seq: 5)
        let cut = started.index(started.startIndex, offsetBy: started.count / 2)
        let input = headerLine + "\n" + started[..<cut] + Self.handlerLine + started[cut...] + "\n" + startedLine(seq: 6) + "\n"
        let decoded = try decode(input)
        #expect(decoded.counters.malformed == 2, "\(decoded.records.diagnostics)")
        #expect(decoded.records.diagnostics.count == 2)
        let kinds = decoded.records.events.map(\.kind)
        #expect(kinds.count == 2)
        if case .processCrashed? = kinds.first {} else { Issue.record("the crash was lost: \(kinds)") }
        if case .taskStarted? = kinds.last {} else { Issue.record("the whole line after the crash was lost: \(kinds)") }
    }

    @Test func crashOutsideAnyChildHasNoTaskAndNullReadsAsAbsent() throws {
        let event = Event(time: MonotonicTime(nanoseconds: 9), .processCrashed(ProcessCrashed(
            signal: 11, signalName: "SIGSEGV", reason: "segmentation fault: address not mapped at 0x0000000000000000",
            thread: 7, address: 0)))
        let line = encodeLine(event)
        #expect(!line.contains(#""task""#) && !line.contains(#""group""#))
        #expect(try decode(headerLine + "\n" + line).records.events == [event])
        let withNulls = #"{"seq":1,"t":9,"type":"process.crashed","signal":11,"signalName":"SIGSEGV","reason":"r","task":null,"group":null,"thread":7,"stack":[]}"#
        guard case .processCrashed(let crash)? = try decode(headerLine + "\n" + withNulls).records.events.first?.kind else {
            Issue.record("nulls made the line unreadable")
            return
        }
        #expect(crash.task == nil && crash.group == nil && crash.address == nil)
    }

    @Test func missingSignalIsMalformed() throws {
        let line = #"{"seq":1,"t":9,"type":"process.crashed","signalName":"SIGSEGV","reason":"r","thread":7,"stack":[]}"#
        let decoded = try decode(headerLine + "\n" + line)
        #expect(decoded.records.diagnostics.map(\.description) == ["line 2: malformed: missing field 'signal'"])
    }
}
