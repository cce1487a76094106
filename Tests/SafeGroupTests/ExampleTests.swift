import Foundation
import Testing
import TestSupport

/// Runs the built examples, so they never rot.
@Suite struct ExampleTests {
    /// Runs the example; returns its exit status and standard output.
    static func runExample(environment: [String: String] = [:]) throws -> (status: Int32, text: String) {
        let binary = productsDirectory.appendingPathComponent("safegroup-example")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build")
        let directory = ScratchDirectory(prefix: "sgex")
        let process = try ChildProcess(binary.path, [], environment: environment, in: directory)
        process.waitUntilExit()
        return (process.status, process.outputSoFar)
    }

    @Test func theQuickStartExampleReportsEveryFaultOfTheCheckout() throws {
        let (status, text) = try Self.runExample()
        #expect(status == 0)
        #expect(text.contains("checkout: 5 children, outcome faulted"))
        #expect(text.contains("error in 'payment'"))
        #expect(text.contains("Backend.authorize()"))
        #expect(text.contains("error in 'shipping'"))
        #expect(text.contains("timeout in 'fraud-check'"))
        // Each fault shows where it happened: the shipping error's throw, and the line where the
        // timed-out fraud check was waiting (QuickStart/main.swift:30 sleeps for an hour).
        let lines = text.split(separator: "\n").map(String.init)
        let shipping = try #require(lines.firstIndex { $0.contains("error in 'shipping'") })
        #expect(lines[shipping + 1].contains("Backend.call() at") && lines[shipping + 1].hasSuffix("QuickStart/main.swift:33"))
        let timeout = try #require(lines.firstIndex { $0.contains("timeout in 'fraud-check'") })
        #expect(lines[timeout + 1].contains("Backend.call() at") && lines[timeout + 1].hasSuffix("QuickStart/main.swift:30"))
        #expect(text.contains("had 3 faults"))
    }

    @Test func throwStacksAreOffWithTheEnvironmentVariable() throws {
        let (status, text) = try Self.runExample(environment: ["SAFEGROUP_THROW_STACKS": "0"])
        #expect(status == 0)
        let lines = text.split(separator: "\n").map(String.init)
        let shipping = try #require(lines.firstIndex { $0.contains("error in 'shipping'") })
        // No throw stack: the next line is another fault or the summary, not a frame.
        #expect(lines[shipping + 1].hasPrefix("  fault  ") || lines[shipping + 1].hasPrefix("events emitted"), "\(lines)")
        // A TracedError's creation stack does not depend on the hook.
        #expect(text.contains("Backend.authorize()"))
    }
}
