import Foundation
import GroupEvents
import Testing
import TestSupport

/// `safegroup dump` prints each fault's spawn chain, found from the stream's own events, so a
/// recording made before the chain was shown (wire format 1.1, `stackOrigin` "recorded") has it too.
@Suite struct DumpSpawnChainTests {
    /// A 1.1 recording, as the previous version wrote it, of a fault three levels down.
    static let oldRecording = """
        {"format":"safegroup-events","version":"1.1","service":"checkout","pid":7,"epochUnixNs":0,"clock":"monotonic-ns"}
        {"seq":1,"t":1000,"type":"group.opened","group":1,"name":"server","site":{"file":"Service/Server.swift","line":20},"policy":"collect-all"}
        {"seq":2,"t":1100,"type":"task.spawned","task":10,"group":1,"name":"request 12","site":{"file":"Service/Server.swift","line":88}}
        {"seq":3,"t":1200,"type":"task.started","task":10,"group":1,"waitedNs":0}
        {"seq":4,"t":1300,"type":"group.opened","group":2,"name":"checkout #12","parentTask":10,"parentGroup":1,"site":{"file":"Checkout/Handler.swift","line":40},"policy":"collect-all","limit":3}
        {"seq":5,"t":1400,"type":"task.spawned","task":42,"group":2,"name":"payment","site":{"file":"Checkout/Handler.swift","line":57}}
        {"seq":6,"t":1500,"type":"task.started","task":42,"group":2,"waitedNs":0}
        {"seq":7,"t":9000,"type":"fault","task":42,"taskName":"payment","group":2,"groupName":"checkout #12","site":{"file":"Checkout/Handler.swift","line":57},"kind":"error","errorType":"Checkout.PaymentDeclined","message":"card declined","startedAt":1500,"endedAt":9000,"stackOrigin":"recorded","stack":[]}
        {"seq":8,"t":9000,"type":"task.ended","task":42,"group":2,"status":"failed","durationNs":7500}
        {"seq":9,"t":9100,"type":"group.closed","group":2,"outcome":"faulted","faultCount":1,"childCount":1}
        {"seq":10,"t":9200,"type":"task.ended","task":10,"group":1,"status":"ok","durationNs":8000}
        {"seq":11,"t":9300,"type":"group.closed","group":1,"outcome":"ok","faultCount":0,"childCount":1}

        """

    @Test func dumpOfAnOldRecordingShowsEachFaultsSpawnChainUpToTheRoot() async throws {
        let dir = ScratchDirectory(prefix: "sgcli")
        let path = dir.file("old.ndjson")
        try Data(Self.oldRecording.utf8).write(to: URL(fileURLWithPath: path))
        let result = try await safegroup(["dump", path], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        let chain = try #require(lines.firstIndex(of: "    spawn chain:"), "\(lines)")
        #expect(Array(lines[(chain + 1)...].prefix(4)) == [
            "      t42 'payment' spawned at Checkout/Handler.swift:57",
            "      g2 'checkout #12' opened at Checkout/Handler.swift:40",
            "      t10 'request 12' spawned at Service/Server.swift:88",
            "      g1 'server' opened at Service/Server.swift:20",
        ])
        #expect(lines[chain + 5].contains("task.ended t42"))
    }
}
