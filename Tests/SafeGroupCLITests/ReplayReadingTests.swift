import Dashboard
import Foundation
import GroupEvents
@testable import SafeGroupCLI
import Testing
import Glibc
import SystemCalls
import TestSupport

/// The replay keeps an index, not the records: what it decodes again from the file must be
/// exactly what a straight read of the file gives, whatever the order of the reads.
@Suite struct ReplayReadingTests {
    /// Two sessions (a restart) of ~4 MiB, with faults, a malformed line, an over-long line
    /// and a last line without its newline: several loader chunks and many checkpoints.
    static func recording() -> [UInt8] {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        var seq: UInt64 = 0
        func event(_ kind: Event.Kind, at time: UInt64) {
            seq += 1
            encoder.encode(Event(time: MonotonicTime(nanoseconds: time), kind), seq: seq, into: &bytes)
        }
        let site = SourceSite(file: "Replay/Test.swift", line: 9)
        for session in 0..<2 {
            seq = 0
            encoder.encodeHeader(WireHeader(service: "replay-\(session)", pid: Int32(100 + session), epochUnixNanoseconds: 0), into: &bytes)
            event(.groupOpened(GroupOpened(group: GroupID(1), name: "pool", site: site, policy: .collectAll)), at: 1_000)
            for task in UInt64(1)...9_000 {
                let time = 1_000 + task * 50_000
                event(.taskSpawned(TaskSpawned(task: TaskID(task), group: GroupID(1), name: "job-\(task)-\(session)", site: site)), at: time)
                if task % 97 == 0 {
                    event(.faultRecorded(FaultInfo(task: TaskID(task), taskName: "job-\(task)", group: GroupID(1), groupName: "pool",
                                                   site: site, kind: .error, errorType: "E", message: "failed \(task)",
                                                   startedAt: MonotonicTime(nanoseconds: time), endedAt: MonotonicTime(nanoseconds: time + 10),
                                                   stack: [StackFrame(symbol: "f()", file: "F.swift", line: 1)])), at: time + 10)
                }
                event(.taskEnded(TaskEnded(task: TaskID(task), group: GroupID(1), status: task % 97 == 0 ? .failed : .ok,
                                           durationNanoseconds: 20)), at: time + 20)
                if task == 3_000 { bytes += Array("{\"seq\":1,\"t\":oops}\n".utf8) }
                if task == 6_000 { bytes += Array(repeating: UInt8(ascii: "x"), count: 2 << 20) + [UInt8(ascii: "\n")] }
            }
        }
        // The last line has no newline: the loader reads it at the end of the file, so must the reader.
        event(.heartbeat(Heartbeat(produced: 1, dropped: 0, viewers: 1)), at: 999_000_000)
        bytes.removeLast()
        return bytes
    }

    /// Indexes `path` to its end, as the replay's loader task does.
    static func index(_ loader: RecordingLoader) -> (timeline: ReplayTimeline, bytes: Int64, counters: WireDecoder.Counters) {
        var timeline = ReplayTimeline()
        while true {
            let chunk = loader.next()
            timeline.append(contentsOf: chunk.entries)
            if let checkpoint = chunk.checkpoint { timeline.add(checkpoint) }
            if chunk.isLast { return (timeline, chunk.bytesRead, chunk.counters) }
        }
    }

    /// Where two record lists differ, in a line (nil when they are the same), so a failure
    /// does not print thousands of records.
    static func mismatch(_ got: [WireRecord], _ wanted: ArraySlice<WireRecord>) -> String? {
        let wanted = Array(wanted)
        if let index = zip(got, wanted).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return "record \(index) differs: \(got[index]) instead of \(wanted[index])"
        }
        return got.count == wanted.count ? nil : "\(got.count) records instead of \(wanted.count)"
    }

    static func records(_ range: Range<Int>, _ reader: inout RecordReader, _ timeline: ReplayTimeline, limit: Int64) throws -> [WireRecord] {
        var out: [WireRecord] = []
        try reader.read(range, in: timeline, limit: limit, isComplete: true) { batch in
            #expect(batch.count <= RecordReader.batchSize)
            out += batch
        }
        return out
    }

    @Test func recordsReadAgainInAnyOrderAreTheFilesRecords() throws {
        let bytes = Self.recording()
        let expected = try WireDecoder.decode(bytes).records.filter { if case .diagnostic = $0 { false } else { true } }
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("two-sessions.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let loader = try RecordingLoader(path: path, seekable: true)
        let (timeline, limit, counters) = Self.index(loader)
        #expect(timeline.count == expected.count)
        #expect(timeline.headers.count == 2)
        #expect(timeline.faults.count == 2 * (9_000 / 97))
        #expect(counters.malformed == 2 && counters.overLong == 2)
        #expect(timeline.checkpoints.count >= 4, "checkpoints: \(timeline.checkpoints.count)")
        var reader = try loader.makeReader()
        defer { reader.close() }

        #expect(Self.mismatch(try Self.records(0..<expected.count, &reader, timeline, limit: limit), expected[...]) == nil)
        // Back, far forward, across the over-long line and the second header, to the torn end.
        let ranges = [10..<20, 30_000..<30_050, 5..<9, 17_990..<18_400, 18_400..<18_401, expected.count - 3..<expected.count,
                      0..<1, 9_000..<27_000]
        for range in ranges {
            #expect(Self.mismatch(try Self.records(range, &reader, timeline, limit: limit), expected[range]) == nil, "\(range)")
        }
    }

    /// A header of a version this build cannot read ends the replay there; the records before
    /// it are indexed and must be found again by the reader.
    @Test func recordsBeforeARefusedHeaderAreReadAgain() throws {
        let encoder = WireEncoder()
        var bytes: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: "old", pid: 1, epochUnixNanoseconds: 0), into: &bytes)
        let site = SourceSite(file: "Replay/Test.swift", line: 9)
        for task in UInt64(1)...50 {
            encoder.encode(Event(time: MonotonicTime(nanoseconds: task), .taskSpawned(TaskSpawned(task: TaskID(task), group: GroupID(1),
                                                                                                name: "job", site: site))),
                           seq: task, into: &bytes)
        }
        let readable = try WireDecoder.decode(bytes).records
        var newer: [UInt8] = []
        encoder.encodeHeader(WireHeader(service: "new", pid: 2, epochUnixNanoseconds: 0, version: WireVersion(major: 9, minor: 0)),
                             into: &newer)
        bytes += newer
        encoder.encode(Event(time: MonotonicTime(nanoseconds: 99), .heartbeat(Heartbeat(produced: 1, dropped: 0))), seq: 1, into: &bytes)
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("newer-session.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let loader = try RecordingLoader(path: path, seekable: true)
        var timeline = ReplayTimeline()
        var last: RecordingLoader.Chunk
        repeat {
            last = loader.next()
            timeline.append(contentsOf: last.entries)
        } while !last.isLast
        #expect(last.failure != nil, "the newer header is refused")
        #expect(timeline.count == readable.count)
        var reader = try loader.makeReader()
        defer { reader.close() }
        var got: [WireRecord] = []
        _ = try? reader.read(0..<timeline.count, in: timeline, limit: last.bytesRead, isComplete: true) { got += $0 }
        #expect(Self.mismatch(got, readable[...]) == nil)
    }

    /// `replay <(zcat rec.ndjson.gz)` names /dev/fd/N, a link to a pipe: the type of what a
    /// link leads to decides how the file is read.
    @Test func aLinkToAPipeOrAFileHasTheTypeOfWhatItLeadsTo() throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let fifo = directory.file("pipe"), file = directory.file("file.ndjson")
        #expect(mkfifo(fifo, 0o600) == 0)
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(symlink(fifo, directory.file("to-pipe")) == 0)
        #expect(symlink(file, directory.file("to-file")) == 0)
        #expect(try Posix.fileType(directory.file("to-pipe")) == S_IFIFO)
        #expect(try Posix.fileType(directory.file("to-file")) == S_IFREG)
        #expect(try Posix.fileType(directory.file("missing")) == nil)
    }

    /// A pipe cannot be read twice: the loader keeps a copy, which the reader reads.
    /// Writes `bytes` to the FIFO at `path` from a thread of its own (opening it waits for a reader).
    static func write(_ bytes: [UInt8], toFIFO path: String) {
        Thread {
            let fd = open(path, O_WRONLY)
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n <= 0 { break }
                    done += n
                }
            }
            close(fd)
        }.start()
    }

    @Test func aPipeIsCopiedAndReadAgainFromTheCopy() throws {
        let bytes = Self.recording()
        let expected = try WireDecoder.decode(bytes).records.filter { if case .diagnostic = $0 { false } else { true } }
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        Self.write(bytes, toFIFO: path)
        let loader = try RecordingLoader(path: path, seekable: false)
        let (timeline, limit, _) = Self.index(loader)
        #expect(limit == Int64(bytes.count))
        var reader = try loader.makeReader()
        defer { reader.close() }
        #expect(Self.mismatch(try Self.records(20_000..<20_100, &reader, timeline, limit: limit), expected[20_000..<20_100]) == nil)
        #expect(Self.mismatch(try Self.records(0..<expected.count, &reader, timeline, limit: limit), expected[...]) == nil)
    }

    /// One timestamp far in the future (2^64-1) does not stretch the timeline: it is played at
    /// the time before it, and counted; a restart's session still follows on.
    @Test func aTimestampThatLeapsIsPlayedAtTheTimeBeforeIt() {
        var timeline = ReplayTimeline()
        let second: UInt64 = 1_000_000_000
        timeline.append(contentsOf: [.header, .event(time: 1 * second, isFault: false), .event(time: 2 * second, isFault: false),
                                     .event(time: UInt64.max, isFault: true), .event(time: 3 * second, isFault: false),
                                     .header, .event(time: 7 * second, isFault: false), .event(time: 8 * second, isFault: false)])
        #expect(timeline.leaps == 1)
        #expect(timeline.times == [1, 1, 2, 2, 3, 3, 3, 4].map { $0 * second })
        #expect(timeline.streamTimes[3] == 2 * second)
        #expect(timeline.end - timeline.start == 3 * second)
        #expect(timeline.faults == [3])
    }

    /// A pipe's copy stops growing at its limit: the loader stops there, says why, and what
    /// it copied can still be read.
    @Test func aPipesCopyIsCappedAndTheLoaderSaysSo() throws {
        let bytes = Self.recording()
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("pipe")
        #expect(mkfifo(path, 0o600) == 0)
        Self.write(bytes, toFIFO: path)
        let limit: Int64 = 1 << 20
        let loader = try RecordingLoader(path: path, seekable: false, spoolLimit: limit)
        // The writer is left blocked on the full pipe: let it see EPIPE, not SIGPIPE, when the
        // loader closes its end.
        defer { _ = try? FileHandle(forReadingAtPath: path)?.readToEnd() }
        var last = loader.next()
        var timeline = ReplayTimeline()
        while true {
            timeline.append(contentsOf: last.entries)
            if last.isLast { break }
            last = loader.next()
        }
        #expect(last.bytesRead == limit)
        #expect(last.failure?.contains("stopped copying") == true && last.failure?.contains("1 MiB") == true, "\(String(describing: last.failure))")
        #expect(timeline.count > 1000, "nothing of what was copied was indexed")
    }

    /// The records from the last header on: what the dashboard shows after them (a header
    /// resets its model).
    static func session(_ records: ArraySlice<WireRecord>) -> ArraySlice<WireRecord> {
        records[(records.lastIndex { if case .header = $0 { true } else { false } } ?? records.startIndex)...]
    }

    /// What the dashboard has been fed, as the reducer sees it: records in order, and the
    /// checkpoints the replay asked it to keep and go back to.
    struct FedModel {
        var records: [WireRecord] = []
        var saved: [Int: Int] = [:]
        var restores = 0
        var batches = 0
        var ended = false

        mutating func take(_ message: DashboardMessage) {
            switch message {
            case .records(let batch):
                #expect(batch.count <= RecordReader.batchSize)
                batches += 1
                records += batch
            case .replayCheckpoint(.save(let record)):
                #expect(record == records.count, "a checkpoint numbered \(record) after \(records.count) records")
                saved[record] = records.count
            case .replayCheckpoint(.restore(let record)):
                let count = saved[record]
                #expect(count != nil, "restored checkpoint \(record), never saved")
                records.removeLast(records.count - (count ?? records.count))
                restores += 1
            case .connection(.ended): ended = true
            default: break
            }
        }
    }

    /// ``recording()`` and its records, diagnostics left out, as a straight read gives them.
    static func recordingAndRecords() throws -> ([UInt8], [WireRecord]) {
        let bytes = recording()
        return (bytes, try WireDecoder.decode(bytes).records.filter { if case .diagnostic = $0 { false } else { true } })
    }

    static func replay(_ bytes: [UInt8], in directory: ScratchDirectory) throws -> ReplaySource {
        let path = directory.file("replay.ndjson")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let loader = try RecordingLoader(path: path, seekable: true)
        return try ReplaySource(loader: loader, first: loader.next(), speed: 1)
    }

    /// Played through ``ReplaySource`` (to the end, back to the start, to a fault), the
    /// dashboard sees exactly the records it would have seen from a straight read.
    @Test func theReplaysMovesFeedTheDashboardWhatAStraightReadGives() async throws {
        let (bytes, expected) = try Self.recordingAndRecords()
        let directory = ScratchDirectory(prefix: "sgcli")
        var source = try Self.replay(bytes, in: directory)
        defer { source.finish() }

        // A long jump gives the new position before its records, so that the dashboard lets
        // ended tasks go as they come in (instead of holding every task of the stretch).
        var kinds: [String] = []
        var fed = FedModel()
        source.poll { fed.take($0) }
        source.perform(.replay(.seek(seconds: 10))) { message in
            fed.take(message)
            switch message {
            case .records: if kinds.last != "records" { kinds.append("records") }
            case .replayPosition: kinds.append("position")
            default: break
            }
        }
        #expect(kinds == ["position", "records", "position"], "\(kinds)")

        // Playing as the run loop polls, and G until the whole file is read and fed.
        let reachedEnd = await eventually {
            source.poll { fed.take($0) }
            source.perform(.replay(.toEnd)) { fed.take($0) }
            return fed.ended && !source.isBusy
        }
        #expect(reachedEnd, "the replay never reached the end of the file")
        #expect(Self.mismatch(fed.records, expected[...]) == nil)

        // g: back to the start, which feeds from the first header again.
        source.perform(.replay(.toStart)) { fed.take($0) }
        #expect(!source.isBusy)
        let start = Array(Self.session(fed.records[...]))
        #expect(Self.mismatch(start, expected[..<1]) == nil || Self.mismatch(start, expected[..<2]) == nil,
                "\(start.count) records at the start")
        // n: to the first fault, fed from where the start left off.
        source.perform(.replay(.nextFault)) { fed.take($0) }
        let firstFault = try #require(expected.firstIndex { if case .event(_, let e) = $0, case .faultRecorded = e.kind { true } else { false } })
        #expect(Self.mismatch(Array(Self.session(fed.records[...])), expected[..<(firstFault + 1)]) == nil)
    }

    /// A long move is fed a slice a wake (here one batch), so the run loop reads keys between
    /// slices; a newer move takes over from where the feeding got.
    @Test func aLongMoveIsFedInSlicesAndANewerMoveTakesOver() throws {
        let (bytes, expected) = try Self.recordingAndRecords()
        let directory = ScratchDirectory(prefix: "sgcli")
        var source = try Self.replay(bytes, in: directory)
        defer { source.finish() }
        source.feedBudgetNanoseconds = 0
        var fed = FedModel()
        while !fed.ended {
            source.poll { fed.take($0) }
            source.perform(.replay(.togglePlay)) { fed.take($0) }
            source.perform(.replay(.toEnd)) { fed.take($0) }
            #expect(fed.batches <= 3 * (fed.records.count / RecordReader.batchSize + 1))
            if fed.records.count > 3 * RecordReader.batchSize { break }
        }
        #expect(source.isBusy, "the whole move was fed at once")
        #expect(fed.records.count < expected.count)
        // `g` while G is being fed: it goes back to the start, not on to the end.
        source.perform(.replay(.toStart)) { fed.take($0) }
        while source.isBusy { source.poll { fed.take($0) } }
        let shown = Array(Self.session(fed.records[...]))
        #expect(shown.count <= 2 && Self.mismatch(shown, expected[..<shown.count]) == nil, "\(shown.count) records after g")
    }

    /// Steps back from the end go back to the nearest checkpoint, not to the session's header:
    /// a step feeds at most a checkpoint's spacing of records.
    @Test func stepsBackStartFromACheckpointNotTheHeader() async throws {
        let (bytes, expected) = try Self.recordingAndRecords()
        let directory = ScratchDirectory(prefix: "sgcli")
        var source = try Self.replay(bytes, in: directory)
        defer { source.finish() }
        var fed = FedModel()
        #expect(await eventually {
            source.poll { fed.take($0) }
            source.perform(.replay(.toEnd)) { fed.take($0) }
            return fed.ended && !source.isBusy
        })
        let lastHeader = try #require(expected.lastIndex { if case .header = $0 { true } else { false } })
        #expect(expected.count - lastHeader > ReplaySource.initialCheckpointSpacing, "the session is too short to tell")
        for step in 1...3 {
            let at = expected.count - step
            var refed = 0
            func take(_ message: DashboardMessage) {
                if case .records(let batch) = message { refed += batch.count }
                fed.take(message)
            }
            source.perform(.replay(.step(-1)), take)
            while source.isBusy { source.poll(take) }
            #expect(refed <= ReplaySource.initialCheckpointSpacing, "step \(step) back fed \(refed) records again")
            #expect(Self.mismatch(Array(Self.session(fed.records[...])), Self.session(expected[..<at])) == nil)
        }
        #expect(fed.restores == 3)
    }
}
