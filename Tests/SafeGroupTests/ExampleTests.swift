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
        #expect(text.contains("had 3 faults"))
    }
}
