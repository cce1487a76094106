import Foundation
import GroupEvents
import GroupMonitor
import MonitorClient
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// MonitorClient against real monitor processes: a restart on the same path is a new session.
@Suite struct ClientReconnectTests {
    /// Messages collected by a background iteration, for the test to wait on.
    final class Collector: Sendable {
        private let messages = Mutex<[MonitorMessage]>([])
        var all: [MonitorMessage] { messages.withLock { $0 } }
        func append(_ message: MonitorMessage) { messages.withLock { $0.append(message) } }
    }

    @Test func theClientReconnectsAfterTheServiceIsKilledAndRestartedOnTheSamePath() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("restarting-1.sock")
        let first = try MonitorFixture(socket: socket, fanout: true)
        let client = MonitorClient(path: socket,
                                   backoff: ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(400)))
        let collector = Collector()
        let reading = Task {
            do {
                for try await message in client.messages() { collector.append(message) }
            } catch {
                Issue.record("the client stopped: \(error)")
            }
        }
        defer { reading.cancel() }

        let sawFirst = await eventually {
            collector.all.contains { if case .attached(let h, .first) = $0 { h.pid == first.servingPID } else { false } }
                && collector.all.contains { if case .event = $0 { true } else { false } }
        }
        try #require(sawFirst, "never attached to the first service: \(collector.all.prefix(3))")

        first.kill9()
        let sawLoss = await eventually {
            collector.all.contains { if case .disconnected(let d) = $0 { d.wasAttached && d.retryIn != nil } else { false } }
        }
        try #require(sawLoss, "the lost connection was not reported")

        let second = try MonitorFixture(socket: socket, fanout: true)
        defer { second.quit() }
        let sawRestart = await eventually {
            collector.all.contains { if case .attached(let h, .restarted) = $0 { h.pid == second.servingPID } else { false } }
        }
        #expect(sawRestart, "the restarted service was not seen as a new session")
        let losses = collector.all.compactMap { if case .disconnected(let d) = $0 { d } else { nil } }
        #expect(losses.allSatisfy { $0.retryIn.map { $0 <= .milliseconds(400) } ?? false }, "every retry is capped")
        #expect(losses.first?.description.hasPrefix("connection to \(socket) lost: ") == true)
        // Events of the new session follow its header.
        let gotEvents = await eventually {
            collector.all.drop { if case .attached(_, .restarted) = $0 { false } else { true } }
                .contains { if case .event = $0 { true } else { false } }
        }
        #expect(gotEvents, "no event after the new session's header")
    }

    @Test func aFirstConnectionToNothingEndsWithTheWayOut() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("nobody.sock")
        var messages = MonitorClient(path: socket).messages().makeAsyncIterator()
        do {
            _ = try await messages.next()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .cannotAttach)
            #expect(error.message == "cannot attach to \(socket): no such socket (is the service running? try 'safegroup list')")
        }
    }

    @Test func aClientThatDoesNotReconnectEndsAfterReportingTheLoss() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("once-1.sock")
        let fixture = try MonitorFixture(socket: socket)
        var messages = MonitorClient(path: socket, reconnects: false).messages().makeAsyncIterator()
        guard case .attached(let header, .first)? = try await messages.next() else {
            Issue.record("the first message is not the header")
            return
        }
        #expect(header.pid == fixture.servingPID)
        fixture.quit()
        var last: MonitorMessage?
        while let message = try await messages.next() { last = message }
        guard case .disconnected(let loss)? = last else {
            Issue.record("the stream did not end with the loss: \(String(describing: last))")
            return
        }
        #expect(loss.retryIn == nil)
        #expect(loss.wasAttached)
    }

    @Test func aViewerRefusedForTooManyViewersIsToldWhyNotHandedAMalformedLine() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let socket = dir.file("busy-1.sock")
        let fixture = try MonitorFixture(socket: socket)
        defer { fixture.quit() }
        // The monitor serves 16 viewers at most (MonitorConfiguration.maxViewers).
        var others: [Int32] = []
        defer { others.forEach { _ = close($0) } }
        for _ in 0..<16 { others.append(try connectedSocket(socket)) }
        var messages = MonitorClient(path: socket).messages().makeAsyncIterator()
        do {
            while let message = try await messages.next() {
                Issue.record("expected a refusal, got \(message)")
            }
            Issue.record("expected a refusal, the stream ended")
        } catch {
            #expect(error.code == .cannotAttach)
            #expect(error.message.hasPrefix("cannot attach to \(socket): refused: too many viewers"), "\(error.message)")
        }
    }

    /// A plain blocking connection, as another viewer would make.
    private func connectedSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(result == 0, "cannot connect to \(path)")
        return fd
    }
}
