import GroupEvents
@testable import SafeGroupCLI
import Testing

/// What `list` makes of a live service's header and heartbeat: a hostile count never traps it.
@Suite struct ServiceProbeTests {
    static func probe() -> ServiceProbe {
        ServiceProbe(path: "/run/user/1000/safegroup/svc-42.sock", service: "svc", pid: 42, viewers: nil, live: true, note: nil)
    }

    static let header = WireHeader(service: "checkout", pid: 4242, epochUnixNanoseconds: 0)

    @Test func theSmallestViewerCountReadsAsNoOtherViewers() {
        var probe = Self.probe()
        probe.read(header: Self.header, heartbeat: Heartbeat(viewers: Int.min))
        #expect(probe.viewers == 0)
        #expect(probe.service == "checkout" && probe.pid == 4242)
        #expect(probe.json.contains("\"viewers\":0"))
    }

    @Test func viewerCountsLeaveListOut() {
        var probe = Self.probe()
        probe.read(header: Self.header, heartbeat: Heartbeat(viewers: 3))
        #expect(probe.viewers == 2)
        probe.read(header: Self.header, heartbeat: Heartbeat(viewers: Int.max))
        #expect(probe.viewers == Int.max - 1)
        probe.read(header: Self.header, heartbeat: nil)
        #expect(probe.viewers == nil && probe.note == nil)
        probe.read(header: nil, heartbeat: nil)
        #expect(probe.note == "no answer")
    }
}
