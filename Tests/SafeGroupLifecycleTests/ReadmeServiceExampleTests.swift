import Foundation
import Testing

/// The README opens its usage with the ServiceGroup example: the same lines as
/// `Examples/ServiceGroup/main.swift` between its `README: begin` and `README: end` markers,
/// which the package builds and `ServiceExampleTests` runs.
@Test func theReadmesServiceGroupExampleIsTheOneThePackageBuilds() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let example = try String(contentsOf: root.appendingPathComponent("Examples/ServiceGroup/main.swift"), encoding: .utf8)
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let begin = try #require(example.range(of: "// README: begin\n"))
    let end = try #require(example.range(of: "// README: end"))
    let snippet = String(example[begin.upperBound..<end.lowerBound])
    let usage = try #require(readme.range(of: "## Usage\n"))
    let firstBlock = try #require(readme.range(of: "```swift\n", range: usage.upperBound..<readme.endIndex))
    let blockEnd = try #require(readme.range(of: "```\n", range: firstBlock.upperBound..<readme.endIndex))
    #expect(String(readme[firstBlock.upperBound..<blockEnd.lowerBound]) == snippet)
}
