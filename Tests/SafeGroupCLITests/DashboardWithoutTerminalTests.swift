import Foundation
import GroupEvents
import Testing
import TestSupport

/// The dashboard commands need a terminal; without one they say so in one line and point to
/// `safegroup dump`, leaving nothing else on either output.
@Suite struct DashboardWithoutTerminalTests {
    @Test(arguments: [["demo", "--seed", "1"], ["replay", "RECORDING"]])
    func withoutATerminalTheDashboardSaysSoAndPointsToDump(_ arguments: [String]) async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let recording = directory.file("small.ndjson")
        var bytes: [UInt8] = []
        WireEncoder().encodeHeader(WireHeader(service: "small", pid: 1, epochUnixNanoseconds: 0), into: &bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: recording))
        // Standard output and error go to files: not a terminal.
        let result = try await safegroup(arguments.map { $0 == "RECORDING" ? recording : $0 }, in: directory)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines == [
            "safegroup: the dashboard needs a terminal on standard input and output; to read events as text, use `safegroup dump`",
        ])
    }
}
