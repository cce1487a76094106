import ArgumentParser
import Glibc
import SystemCalls

/// A runtime failure of a subcommand: reported as one line on standard error, starting
/// `safegroup: `, and exit status 1.
///
/// Argument errors are ArgumentParser's; everything that goes wrong once the arguments are
/// good is one of these, so every runtime message has the same shape.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}

/// Writes `safegroup: <message>` to standard error.
func reportToStandardError(_ message: String) {
    let line = Array("safegroup: \(message)\n".utf8)
    line.withUnsafeBytes { try? Posix.writeAll(STDERR_FILENO, $0, subject: "standard error") }
}

/// Runs a subcommand's body, turning its failures into the one-line report and exit status 1.
func runReportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CommandFailure {
        reportToStandardError(failure.message)
        throw ExitCode(1)
    } catch let error as PosixError {
        reportToStandardError(error.description)
        throw ExitCode(1)
    }
}

/// Runs a dashboard subcommand's body, which returns the exit status, turning its failures
/// into the one-line report and exit status 1.
func runDashboardReportingFailures(_ body: () async throws -> Int32) async throws -> Int32 {
    var status: Int32 = 0
    try await runReportingFailures { status = try await body() }
    return status
}
