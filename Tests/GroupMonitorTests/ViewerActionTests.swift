import Foundation
import GroupEvents
@testable import GroupMonitor
import MonitorClient
import SafeGroup
import Testing
import TestSupport

/// Viewers' requests (wire 1.5): a service with actions on cancels the task or group named and
/// records the request as a `viewer.action` event naming the viewer's pid; one with actions off
/// (the default) refuses every request with a reason; a peer of another uid is never heard.
@Suite(.serialized) struct ViewerActionTests {
    /// A group with two children that wait until cancelled, in a monitor; returns when both run.
    private static func sleepers(_ monitor: SafeGroupMonitor, started: InMemoryStarts) -> Task<GroupReport<Void>, Never> {
        Task {
            await withSafeGroup(name: "sleepers", sink: monitor) { group in
                for i in 0..<2 {
                    await group.spawn("sleeper \(i)") {
                        started.add()
                        try await Task.sleep(for: .seconds(60))
                    }
                }
            }
        }
    }

    @Test func withActionsOnACancelOfATaskIsCarriedOutAndRecordedWithTheViewersPid() async throws {
        let dir = ScratchDirectory(prefix: "sgact")
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.actions = true })
        defer { monitor.shutdown() }
        let viewer = try TestClient(path: monitor.socketPath)
        let started = InMemoryStarts()
        let group = Self.sleepers(monitor, started: started)
        #expect(await eventually { started.count == 2 })
        viewer.read(until: { records in records.filter { if case .event(_, let e) = $0, case .taskStarted = e.kind { true } else { false } }.count == 2 })
        #expect(viewer.headers.first?.actions == true)
        let first = try #require(viewer.events.compactMap { if case .taskStarted(let s) = $0.1.kind { s.task } else { nil } }.first)

        let answer = try await ActionRequest.send(ViewerRequest(request: 7, target: .task(first)), to: monitor.socketPath)
        #expect(answer?.result == .cancelled)
        #expect(answer?.viewer == getpid())
        #expect(answer?.request == 7)
        // The other viewer sees the record, then the child's end as cancelled.
        viewer.read(until: { records in
            records.contains { if case .event(_, let e) = $0, case .taskEnded(let end) = e.kind { end.task == first } else { false } }
        })
        let actions = viewer.events.compactMap { if case .viewerAction(let a) = $0.1.kind { a } else { nil } }
        #expect(actions == [ViewerAction(viewer: getpid(), request: 7, action: "cancel", target: .task(first), result: .cancelled)])
        let end = viewer.events.compactMap { if case .taskEnded(let e) = $0.1.kind, e.task == first { e } else { nil } }.first
        #expect(end?.status == .cancelled)

        // The group: its other child is cancelled too, and the group records why.
        let groupID = try #require(viewer.events.compactMap { if case .groupOpened(let o) = $0.1.kind { o.group } else { nil } }.first)
        let groupAnswer = try await ActionRequest.send(ViewerRequest(request: 8, target: .group(groupID)), to: monitor.socketPath)
        #expect(groupAnswer?.result == .cancelled)
        let report = await group.value
        #expect(report.cancellation == .requested)
        #expect(report.faults.allSatisfy { $0.kind == .cancelled })
    }

    @Test func withActionsOffEveryRequestIsRefusedWithAReasonAndNothingIsCancelled() async throws {
        let dir = ScratchDirectory(prefix: "sgact")
        let monitor = try startMonitor(at: dir.file("svc.sock"))
        defer { monitor.shutdown() }
        let viewer = try TestClient(path: monitor.socketPath)
        viewer.read(until: { !$0.isEmpty })
        #expect(viewer.headers.first?.actions == false)
        let answer = try await ActionRequest.send(ViewerRequest(request: 1, target: .task(TaskID(42))), to: monitor.socketPath)
        #expect(answer?.result == .refused)
        #expect(answer?.reason == "actions are off in this service (it must set MonitorConfiguration.actions)")
    }

    @Test func unreadableOrUnknownRequestsAreRefusedOneLineEach() {
        func answer(_ text: String, enabled: Bool = true) -> ViewerAction {
            let bytes = Array(text.utf8)
            return MonitorLoop.answer(bytes.withUnsafeBufferPointer { ViewerRequest.parse($0) }, viewer: 99, actionsEnabled: enabled).record
        }
        #expect(answer("{\"request\":3,\"action\":\"kill\",\"task\":1}").reason == "unknown action (the only one is cancel)")
        #expect(answer("{\"request\":4,\"action\":\"cancel\"}").reason == "cancel names no task or group")
        #expect(answer("{\"request\":5,\"action\":\"cancel\",\"task\":123456}").reason == "no running child t123456 in a group of this service's monitor")
        #expect(answer("not json").result == .refused)
        #expect(answer("{\"action\":\"cancel\",\"task\":1}").reason == "request without a 'request' number")
        #expect(answer(String(repeating: " ", count: 600)).reason == "request longer than 512 bytes")
        // Round trip of the request line and of the recorded event.
        let request = ViewerRequest(request: 9, target: .group(GroupID(3)))
        #expect(String(decoding: request.line, as: UTF8.self) == "{\"request\":9,\"action\":\"cancel\",\"group\":3}\n")
        let event = Event(time: MonotonicTime(nanoseconds: 5), .viewerAction(ViewerAction(
            viewer: 4711, request: 9, action: "cancel", target: .group(GroupID(3)), result: .refused, reason: "no")))
        var line: [UInt8] = []
        WireEncoder().encode(event, seq: 1, into: &line)
        #expect(String(decoding: line, as: UTF8.self)
                == "{\"seq\":1,\"t\":5,\"type\":\"viewer.action\",\"viewer\":4711,\"request\":9,\"action\":\"cancel\",\"group\":3,\"result\":\"refused\",\"reason\":\"no\"}\n")
        var decoder = WireDecoder()
        var stream: [UInt8] = []
        WireEncoder().encodeHeader(WireHeader(service: "s", pid: 1, epochUnixNanoseconds: 0, actions: true), into: &stream)
        try? decoder.feed(stream + line)
        #expect(decoder.next() == .header(WireHeader(service: "s", pid: 1, epochUnixNanoseconds: 0, actions: true)))
        #expect(decoder.next() == .event(seq: 1, event))
    }

    /// A peer of another uid is closed before a byte is read either way: its request is
    /// never heard, nothing is cancelled and no `viewer.action` is recorded.
    @Test func aRequestFromAPeerOfAnotherUidIsNeverHeard() async throws {
        try #require(getuid() == 0, "needs root to run a client as another user")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"))
        let dir = ScratchDirectory(prefix: "sgact")
        chmod(dir.path, 0o755)
        let monitor = try startMonitor(at: dir.file("svc.sock"), configuration: .with { $0.actions = true })
        defer { monitor.shutdown() }
        chmod(monitor.socketPath, 0o666)
        let viewer = try TestClient(path: monitor.socketPath)
        let started = InMemoryStarts()
        let group = Self.sleepers(monitor, started: started)
        #expect(await eventually { started.count == 2 })
        viewer.read(until: { records in records.contains { if case .event(_, let e) = $0, case .groupOpened = e.kind { true } else { false } } })
        let groupID = try #require(viewer.events.compactMap { if case .groupOpened(let o) = $0.1.kind { o.group } else { nil } }.first)

        let executable = dir.file("monitor-fixture")
        try FileManager.default.copyItem(atPath: FixtureProcess.executablePath, toPath: executable)
        chmod(executable, 0o755)
        let request = String(decoding: ViewerRequest(request: 1, target: .group(groupID)).line.dropLast(), as: UTF8.self)
        let peer = try FixtureProcess(["peer", monitor.socketPath, request], asUser: "nobody", executable: executable)
        let reply = peer.readLine()
        peer.child.waitUntilExit()
        #expect(reply == "read 0")
        #expect(monitor.statistics.peersRefused == 1)
        // The same request from this uid is heard: the group was running all along.
        let answer = try await ActionRequest.send(ViewerRequest(request: 2, target: .group(groupID)), to: monitor.socketPath)
        #expect(answer?.result == .cancelled)
        _ = await group.value
        viewer.read(until: { records in records.contains { if case .event(_, let e) = $0, case .groupClosed = e.kind { true } else { false } } })
        let actions = viewer.events.compactMap { if case .viewerAction(let a) = $0.1.kind { a } else { nil } }
        #expect(actions.map(\.request) == [2])
    }
}

/// Counts children that started, from their own tasks.
final class InMemoryStarts: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

import Synchronization
