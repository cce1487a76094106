import Foundation
import Testing

/// Runs the built examples, so they never rot.
@Suite struct ExampleTests {
    /// The directory of the built products (the test bundle sits beside them).
    static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    @Test func theQuickStartExampleReportsEveryFaultOfTheCheckout() throws {
        let binary = Self.productsDirectory.appendingPathComponent("safegroup-example")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build")
        let process = Process()
        process.executableURL = binary
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0)
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
}
