import Foundation
import GroupEvents
import Testing

/// The graceful-shutdown cancellation cause (wire format 1.4).
@Suite struct GracefulShutdownWireTests {
    static let closed = Event(time: MonotonicTime(nanoseconds: 7), .groupClosed(GroupClosed(
        group: GroupID(3), outcome: .cancelled, faultCount: 0, childCount: 5, cancellation: .gracefulShutdown)))

    @Test func gracefulShutdownIsARequestWithAShutdownField() throws {
        let line = encodeLine(Self.closed, seq: 4).trimmingCharacters(in: .newlines)
        #expect(line == #"{"seq":4,"t":7,"type":"group.closed","group":3,"outcome":"cancelled","faultCount":0,"childCount":5,"cancellation":{"cause":"requested","shutdown":"graceful"}}"#)
        let (records, counters) = try decode(headerLine + "\n" + line + "\n")
        #expect(counters.malformed == 0)
        #expect(records.contains(.event(seq: 4, Self.closed)))
    }

    @Test func theGeneralParserReadsItInAnyFieldOrder() throws {
        let line = #"{"type":"group.closed","seq":4,"t":7,"group":3,"outcome":"cancelled","faultCount":0,"childCount":5,"cancellation":{"shutdown":"graceful","cause":"requested"}}"#
        let (records, _) = try decode(headerLine + "\n" + line + "\n")
        #expect(records.contains(.event(seq: 4, Self.closed)))
    }

    /// A later minor version may give `shutdown` another value: it still reads as a request,
    /// the way a reader before 1.4 reads this one.
    @Test func anUnknownShutdownValueReadsAsARequest() throws {
        let line = #"{"seq":4,"t":7,"type":"group.closed","group":3,"outcome":"cancelled","faultCount":0,"childCount":5,"cancellation":{"cause":"requested","shutdown":"abrupt"}}"#
        let (records, counters) = try decode(headerLine + "\n" + line + "\n")
        #expect(counters.malformed == 0)
        var expected = Self.closed
        expected.kind = .groupClosed(GroupClosed(group: GroupID(3), outcome: .cancelled, faultCount: 0, childCount: 5, cancellation: .requested))
        #expect(records.contains(.event(seq: 4, expected)))
    }

    @Test func theProtocolDocumentGivesTheWireForm() throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains(#"`{"cause":"requested","shutdown":"graceful"}`"#))
        #expect(text.hasPrefix("# The SafeGroup event stream, wire format \(WireFormat.version)\n"))
    }
}
