import GroupEvents
@testable import SafeGroupCLI
import Testing

/// The text lines of `dump`: exact shapes, names remembered across events, sanitized text.
@Suite struct EventFormatterTests {
    static let site = SourceSite(file: "Checkout/Handler.swift", line: 57)

    @Test func aTaskLifeReadsWithItsNameOnEveryLine() {
        var formatter = EventFormatter()
        let t = TaskID(42), g = GroupID(3)
        #expect(formatter.lines(seq: 1, Event(time: MonotonicTime(nanoseconds: 1_250_000_000), .groupOpened(GroupOpened(
            group: g, name: "checkout", site: Self.site, policy: .cancelOnFirstFault, limit: 8))))
            == ["+1.250000s #1 group.opened g3 'checkout' cancel-on-first-fault limit 8 at Checkout/Handler.swift:57"])
        #expect(formatter.lines(seq: 2, Event(time: MonotonicTime(nanoseconds: 1_250_031_200), .taskSpawned(TaskSpawned(
            task: t, group: g, name: "payment", site: Self.site))))
            == ["+1.250031s #2 task.spawned t42 'payment' in g3 at Checkout/Handler.swift:57"])
        #expect(formatter.lines(seq: 3, Event(time: MonotonicTime(nanoseconds: 1_250_032_720), .taskStarted(TaskStarted(
            task: t, group: g, waitedNanoseconds: 1_520))))
            == ["+1.250032s #3 task.started t42 'payment' waited 1.5µs"])
        #expect(formatter.lines(seq: 4, Event(time: MonotonicTime(nanoseconds: 1_262_500_000), .taskEnded(TaskEnded(
            task: t, group: g, status: .failed, durationNanoseconds: 12_345_678))))
            == ["+1.262500s #4 task.ended t42 'payment' failed 12.3ms"])
        #expect(formatter.lines(seq: 5, Event(time: MonotonicTime(nanoseconds: 1_300_000_000), .groupClosed(GroupClosed(
            group: g, outcome: .faulted, faultCount: 1, childCount: 1, cancellation: .fault(t)))))
            == ["+1.300000s #5 group.closed g3 'checkout' faulted 1 child, 1 fault, cancelled after the fault of t42"])
    }

    @Test func aFaultShowsKindTaskSiteTypeMessageAndIndentedFrames() {
        var formatter = EventFormatter()
        let fault = FaultInfo(task: TaskID(7), taskName: "fraud\u{1B}[2J", group: GroupID(1), groupName: "g", site: Self.site,
                              kind: .timeout, errorType: "Fraud.Timeout", message: "took\ntoo long",
                              startedAt: MonotonicTime(nanoseconds: 0), endedAt: MonotonicTime(nanoseconds: 2_000_000_000),
                              stackOrigin: "recorded",
                              stack: [StackFrame(symbol: "Fraud.check()", file: "Fraud/Check.swift", line: 12),
                                      StackFrame(symbol: "0x00007f3a1c2b4e10")])
        #expect(formatter.lines(seq: 9, Event(time: MonotonicTime(nanoseconds: 2_000_000_000), .faultRecorded(fault))) == [
            #"+2.000000s #9 fault timeout t7 'fraud\u{1B}[2J' in g1 'g' at Checkout/Handler.swift:57 Fraud.Timeout: 'took\u{A}too long' after 2.0s"#,
            "    stack (recorded):",
            "      0 Fraud.check() Fraud/Check.swift:12",
            "      1 0x00007f3a1c2b4e10",
            "    spawn chain:",
            #"      t7 'fraud\u{1B}[2J' spawned at Checkout/Handler.swift:57"#,
            "      g1 'g' (its opening is not in this stream)",
        ])
    }

    @Test func durationsAndTimesHaveFixedShapes() {
        #expect(EventFormatter.duration(0) == "0ns")
        #expect(EventFormatter.duration(999) == "999ns")
        #expect(EventFormatter.duration(1_000) == "1.0µs")
        #expect(EventFormatter.duration(999_949) == "999.9µs")
        #expect(EventFormatter.duration(1_500_000_000) == "1.5s")
        #expect(EventFormatter.seconds(12_345) == "+0.000012s")
        #expect(UTCDate(unixNanoseconds: 1_767_225_600_000_000_000).description == "2026-01-01 00:00:00.000 UTC")
        #expect(UTCDate(unixNanoseconds: 951_782_400_123_000_000).description == "2000-02-29 00:00:00.123 UTC")
        #expect(UTCDate(unixNanoseconds: -1_000_000).description == "1969-12-31 23:59:59.999 UTC")
    }
    /// Durations of 58 years and more (`value * 10` overflowed) print; the largest rounds as
    /// the others do.
    @Test func durationsNearTheTopOfUInt64PrintWithoutTrapping() {
        #expect(EventFormatter.duration(1_844_674_407_370_955_162) == "1844674407.4s")
        #expect(EventFormatter.duration(UInt64.max) == "18446744073.7s")
        #expect(EventFormatter.duration(12_345_678) == "12.3ms")
        #expect(EventFormatter.duration(12_350_000) == "12.4ms")
        var formatter = EventFormatter()
        let g = GroupID(1), t = TaskID(2)
        #expect(formatter.lines(seq: 1, Event(time: MonotonicTime(nanoseconds: 0), .taskEnded(TaskEnded(
            task: t, group: g, status: .ok, durationNanoseconds: UInt64.max)))) == ["+0.000000s #1 task.ended t2 ok 18446744073.7s"])
        #expect(formatter.lines(seq: 2, Event(time: MonotonicTime(nanoseconds: 0), .taskStarted(TaskStarted(
            task: t, group: g, waitedNanoseconds: UInt64.max)))) == ["+0.000000s #2 task.started t2 waited 18446744073.7s"])
        #expect(formatter.lines(seq: 3, Event(time: MonotonicTime(nanoseconds: 0), .slowToCancel(SlowToCancel(
            task: t, group: g, sinceCancelNanoseconds: UInt64.max))))
            == ["+0.000000s #3 task.slow-to-cancel t2 still running 18446744073.7s after cancel"])
        let fault = FaultInfo(task: t, taskName: "n", group: g, groupName: "g", site: Self.site, kind: .error, errorType: "",
                              message: "m", startedAt: MonotonicTime(nanoseconds: 0), endedAt: MonotonicTime(nanoseconds: UInt64.max),
                              stackOrigin: "recorded", stack: [])
        // The fault's line; its spawn chain follows.
        #expect(formatter.lines(seq: 4, Event(time: MonotonicTime(nanoseconds: UInt64.max), .faultRecorded(fault))).first
            == "+18446744073.709551s #4 fault error t2 'n' in g1 'g' at Checkout/Handler.swift:57 'm' after 18446744073.7s")
    }
}

/// The last gasp in `dump`'s text: signal, task and group by name, thread, reason, raw stack.
@Suite struct CrashFormatterTests {
    @Test func aCrashNamesTheSignalTheTaskItsGroupTheReasonAndTheStack() {
        var formatter = EventFormatter()
        let site = SourceSite(file: "Checkout/Handler.swift", line: 57)
        _ = formatter.lines(seq: 1, Event(time: MonotonicTime(nanoseconds: 1), .groupOpened(GroupOpened(
            group: GroupID(1), name: "jobs", site: site, policy: .collectAll))))
        _ = formatter.lines(seq: 2, Event(time: MonotonicTime(nanoseconds: 2), .taskSpawned(TaskSpawned(
            task: TaskID(2), group: GroupID(1), name: "doomed\u{1B}[2J", site: site))))
        let crash = ProcessCrashed(
            signal: 4, signalName: "SIGILL", reason: "main.swift:155: Fatal error: Unexpectedly found nil\u{202E}",
            task: TaskID(2), group: GroupID(1), thread: 4251, address: 1,
            stack: [StackFrame(symbol: "0x000056005d2e1f44"), StackFrame(symbol: "0x00007f3a1c4f2e60")],
            images: [LoadedImage(path: "/srv/app\u{1B}[2J", base: 0x5600_5d20_0000, size: 0x20_0000)])
        #expect(formatter.lines(seq: 3, Event(time: MonotonicTime(nanoseconds: 1_004_440_629), .processCrashed(crash))) == [
            #"+1.004440s #3 process.crashed SIGILL (signal 4) in t2 'doomed\u{1B}[2J' in g1 'jobs' on thread 4251: 'main.swift:155: Fatal error: Unexpectedly found nil\u{202E}'"#,
            "    stack (last gasp, return addresses):",
            #"      0 0x000056005d2e1f44 /srv/app\u{1B}[2J+0xe1f44"#,
            "      1 0x00007f3a1c4f2e60",
        ])
    }

    @Test func aCrashOutsideAnyChildSaysSo() {
        var formatter = EventFormatter()
        let crash = ProcessCrashed(signal: 11, signalName: "SIGSEGV", reason: "segmentation fault: address not mapped at 0x0000000000000000", thread: 9)
        #expect(formatter.lines(seq: 7, Event(time: MonotonicTime(nanoseconds: 0), .processCrashed(crash))) == [
            "+0.000000s #7 process.crashed SIGSEGV (signal 11) outside any SafeGroup child on thread 9: 'segmentation fault: address not mapped at 0x0000000000000000'",
        ])
    }

    @Test func aDroppedEventSaysHowManyOfTheLostWereFaults() {
        var formatter = EventFormatter()
        #expect(formatter.lines(seq: 1, Event(time: MonotonicTime(nanoseconds: 0), .dropped(Dropped(count: 17))))
            == ["+0.000000s #1 dropped 17 events lost"])
        #expect(formatter.lines(seq: 2, Event(time: MonotonicTime(nanoseconds: 0), .dropped(Dropped(count: 17, faults: 2))))
            == ["+0.000000s #2 dropped 17 events lost, 2 of them faults"])
    }
}
