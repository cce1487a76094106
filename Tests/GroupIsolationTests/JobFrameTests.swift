import GroupEvents
@testable import GroupIsolation
import Testing

/// The job channel's frames, without processes.
struct JobFrameTests {
    static let frames: [JobFrame] = [
        .ready(version: 1, pid: 4242, jobs: ["echo", "sum", "ünïcode"]),
        .request(name: "sum", context: ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"], input: Array("[1,2,3]".utf8)),
        .request(name: "empty", input: []),
        .returned(output: Array(#""done""#.utf8)),
        .threw(type: "App.ParseError", message: "line 3: \"unexpected\"\n", stack: [
            StackFrame(symbol: "Parser.parse()", file: "Parser.swift", line: 12), StackFrame(symbol: "0x1234"),
        ]),
        .unknownJob(name: "missing"),
    ]

    @Test func everyFrameRoundTrips() throws {
        for frame in Self.frames {
            let bytes = frame.encoded()
            let (ranges, consumed) = try JobFrame.split(bytes)
            #expect(consumed == bytes.count)
            #expect(ranges.count == 1)
            #expect(try JobFrame.decode(body: bytes[ranges[0]]) == frame)
        }
    }

    @Test func splitKeepsAnUnfinishedFrameForLater() throws {
        let stream = Self.frames.flatMap { $0.encoded() }
        // Cut the stream at every length: the complete frames come out, the rest waits.
        for cut in 0...stream.count {
            let (ranges, consumed) = try JobFrame.split(Array(stream[..<cut]))
            let decoded = try ranges.map { try JobFrame.decode(body: stream[$0]) }
            #expect(decoded == Array(Self.frames.prefix(decoded.count)))
            #expect(consumed == decoded.reduce(0) { $0 + $1.encoded().count })
        }
    }

    @Test func lengthOverTheMaximumOrZeroIsRefused() {
        let huge = UInt32(JobFrame.maximumLength + 1)
        let bytes: [UInt8] = [UInt8(truncatingIfNeeded: huge), UInt8(truncatingIfNeeded: huge >> 8),
                              UInt8(truncatingIfNeeded: huge >> 16), UInt8(truncatingIfNeeded: huge >> 24), 3]
        #expect(throws: JobFrameError.self) { try JobFrame.split(bytes) }
        #expect(throws: JobFrameError.self) { try JobFrame.split([0, 0, 0, 0]) }
    }

    @Test func truncatedBodyOrUnknownKindIsRefused() {
        #expect(throws: JobFrameError.self) { try JobFrame.decode(body: [99][...]) }
        #expect(throws: JobFrameError.self) { try JobFrame.decode(body: [2, 10, 0, 0, 0, 65][...]) }
    }
}
