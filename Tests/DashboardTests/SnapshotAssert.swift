import Dashboard
import Foundation
import Testing

/// Compares a rendered screen's text with `__Snapshots__/<name>.txt` next to this file.
///
/// With `RECORD_SNAPSHOTS=1` in the environment (or when the file does not exist yet) the
/// file is written instead, and the test fails so that a recording is never mistaken for a
/// pass: read the file, then run again without the variable.
func assertSnapshot(_ screen: Screen, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    let file = directory.appendingPathComponent("\(name).txt")
    // A frame ends each row with a visible margin marker, so trailing blanks are not lost in review.
    let text = screen.text + "\n"
    let recording = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
    if recording || !FileManager.default.fileExists(atPath: file.path) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try text.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("recorded snapshot \(name); check it and run again without RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot write snapshot \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
        Issue.record("cannot read snapshot \(file.path)", sourceLocation: sourceLocation)
        return
    }
    if text != expected {
        let actualLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        var diff: [String] = []
        for index in 0..<max(actualLines.count, expectedLines.count) {
            let actual = index < actualLines.count ? String(actualLines[index]) : "<none>"
            let wanted = index < expectedLines.count ? String(expectedLines[index]) : "<none>"
            if actual != wanted { diff.append("row \(index):\n  expected: \(wanted)\n  actual:   \(actual)") }
        }
        let message = "snapshot \(name) differs (RECORD_SNAPSHOTS=1 re-records):\n" + Array(diff.prefix(8)).joined(separator: "\n")
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}
