import Foundation
@testable import GroupIsolation
import Testing

/// Forwarding a worker's output to standard error is best effort: a stalled reader costs
/// dropped lines, never a blocked pool thread.
struct WorkerOutputForwardingTests {
    @Test func aFullStandardErrorDropsAndCountsLinesInsteadOfBlocking() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        // Fill the pipe, then make its write end blocking again, as a stderr usually is.
        let flags = fcntl(ends[1], F_GETFL)
        _ = fcntl(ends[1], F_SETFL, flags | O_NONBLOCK)
        let chunk = [UInt8](repeating: 0x41, count: 4_096)
        while chunk.withUnsafeBytes({ write(ends[1], $0.baseAddress, $0.count) }) > 0 {}
        _ = fcntl(ends[1], F_SETFL, flags)

        var collector = WorkerOutputCollector(pid: 42, tailLines: 5, forward: true, forwardFD: ends[1])
        for index in 0..<3 {
            _ = Array("line \(index)\n".utf8).withUnsafeBytes { collector.append($0) }
        }
        // Had a write blocked, this test would never get here.
        #expect(collector.droppedLines == 3)
        #expect(collector.tail == ["line 0", "line 1", "line 2"])

        // The reader catches up: the next line goes through and says what was lost.
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        var sink = [UInt8](repeating: 0, count: 65_536)
        while sink.withUnsafeMutableBytes({ read(ends[0], $0.baseAddress, $0.count) }) > 0 {}
        _ = Array("line 3\n".utf8).withUnsafeBytes { collector.append($0) }
        #expect(collector.droppedLines == 0)
        let n = sink.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
        #expect(n > 0)
        let forwarded = String(decoding: sink[..<max(n, 0)], as: UTF8.self)
        #expect(forwarded == "worker 42: (3 lines dropped: standard error was not writable) line 3\n")
    }
}
