@testable import MonitorClient
import SystemCalls
import Testing

/// Remote addresses and ssh's failures as one line, without a network.
@Suite struct RemoteServiceTests {
    @Test func anAddressHasAUserHostPortAndSocket() throws {
        let remote = try RemoteService(parsing: "ssh://deploy@web-3.example.com:2222/run/user/1000/safegroup/checkout-42.sock")
        #expect(remote.destination == "deploy@web-3.example.com")
        #expect(remote.host == "web-3.example.com")
        #expect(remote.port == 2222)
        #expect(remote.socketPath == "/run/user/1000/safegroup/checkout-42.sock")
        #expect(remote.description == "ssh://deploy@web-3.example.com:2222/run/user/1000/safegroup/checkout-42.sock")
        #expect(remote.hostAddress == "ssh://deploy@web-3.example.com:2222")
        let bare = try RemoteService(parsing: "ssh://web-3")
        #expect(bare.destination == "web-3" && bare.port == nil && bare.socketPath == nil)
        #expect(try RemoteService(parsing: "ssh://web-3/").socketPath == nil)
    }

    @Test func badAddressesAreRefusedWithTheReason() {
        func message(_ text: String) -> String? {
            do { _ = try RemoteService(parsing: text); return nil } catch { return error.message }
        }
        #expect(message("ssh://")?.contains("names no host") == true)
        #expect(message("ssh://user@/x.sock")?.contains("names no host") == true)
        #expect(message("ssh://host:99999")?.contains("the port '99999' is not a number from 1 to 65535") == true)
        // Never an option to ssh, never a shell word.
        #expect(message("ssh://-oProxyCommand=evil")?.contains("has characters a host name cannot have") == true)
        #expect(message("ssh://host;reboot/x")?.contains("has characters a host name cannot have") == true)
        #expect(message("/tmp/x.sock")?.contains("is not an ssh:// address") == true)
        #expect(!RemoteService.isRemote("/tmp/ssh://x"))
    }

    @Test func sshFailuresBecomeOneLineNamingTheHostAndTheWayOut() {
        let remote = RemoteService(destination: "ops@db-1", port: 2200)
        let refused = SSHCommand.failure(remote, errors: "ops@db-1: Permission denied (publickey).\n", status: .exited(255))
        #expect(refused.hasPrefix("db-1 refused the key (ops@db-1: Permission denied (publickey).)"))
        #expect(refused.contains("try 'ssh ops@db-1 -p 2200'"))
        let unreachable = SSHCommand.failure(remote, errors: "ssh: Could not resolve hostname db-1: Name or service not known\r\n", status: .exited(255))
        #expect(unreachable.hasPrefix("cannot reach db-1 over ssh: ssh: Could not resolve hostname db-1"))
        let hostKey = SSHCommand.failure(remote, errors: "Host key verification failed.\n", status: .exited(255))
        #expect(hostKey.contains("its host key is not known or has changed"))
        // ssh's words are untrusted: no escape sequence reaches the terminal.
        let hostile = SSHCommand.failure(remote, errors: "\u{1B}]0;owned\u{07}weird\n", status: .exited(255))
        #expect(!hostile.contains("\u{1B}") && !hostile.contains("\n"))
    }

    @Test func theRemoteListingIsParsedAndStrangeLinesSkipped() {
        let entries = RemoteDirectory.parse("""
            live /tmp/safegroup-0/checkout-42.sock
            stale /tmp/safegroup-0/old-7.sock
            unknown /run/user/0/safegroup/b-9.sock
            motd: welcome
            live relative.sock
            """)
        #expect(entries.map(\.path) == ["/run/user/0/safegroup/b-9.sock", "/tmp/safegroup-0/checkout-42.sock", "/tmp/safegroup-0/old-7.sock"])
        #expect(entries[1].nameFromPath == "checkout" && entries[1].pidFromPath == 42 && entries[1].state == .live)
        #expect(entries[2].state != .live)
        #expect(RemoteDirectory.shellQuoted("it's") == #"'it'\''s'"#)
    }
}
