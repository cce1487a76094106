import Foundation
import GroupEvents
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Paths from the command line are untrusted text too: the errors that name them show their
/// escape sequences escaped, never passed to the terminal.
@Suite struct HostilePathTests {
    static let title = "\u{1B}]0;X\u{07}"

    static func expectSanitized(_ stderr: String, naming shown: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!stderr.unicodeScalars.contains { $0 != "\n" && TextSanitizer.needsEscape($0) },
                "raw control characters on standard error: \(stderr.debugDescription)", sourceLocation: sourceLocation)
        #expect(stderr.contains(shown), "the path is not named escaped: \(stderr.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test func missingFilesAreNamedEscaped() async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("x\(Self.title)")
        let shown = directory.file(#"x\u{1B}]0;X\u{7}"#)
        let dump = try await safegroup(["dump", path], in: directory)
        #expect(dump.status == 1)
        Self.expectSanitized(dump.stderr, naming: shown)
        let replay = try await safegroup(["replay", path], in: directory)
        #expect(replay.status == 1)
        Self.expectSanitized(replay.stderr, naming: shown)
    }

    @Test func anUnreadableFileIsNamedEscaped() async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("dir\(Self.title)")
        #expect(mkdir(path, 0o700) == 0)
        let dump = try await safegroup(["dump", path], in: directory)
        #expect(dump.status == 1)
        Self.expectSanitized(dump.stderr, naming: directory.file(#"dir\u{1B}]0;X\u{7}"#))
    }

    @Test func aStaleSocketIsNamedEscaped() async throws {
        let directory = ScratchDirectory(prefix: "sgcli")
        let path = directory.file("s\(Self.title).sock")
        // A socket file nobody listens on.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(fd)
        let dump = try await safegroup(["dump", path], in: directory)
        #expect(dump.status == 1)
        Self.expectSanitized(dump.stderr, naming: directory.file(#"s\u{1B}]0;X\u{7}.sock"#))
    }
}
