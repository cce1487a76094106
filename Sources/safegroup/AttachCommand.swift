import ArgumentParser
import MonitorClient

/// `safegroup attach [SOCKET] [--pid PID]`: the dashboard, live.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Watch a running service's task groups live, in the terminal dashboard.",
        discussion: """
            With neither SOCKET nor --pid: attaches to the only live service, or lists the live \
            services and asks which one. Reconnects with backoff when the connection is lost; \
            the header says 'reconnecting in N s', 'service ended' when the socket is gone, or \
            'service crashed' when the process died without removing it. Press ? for the keys, \
            q to quit. Needs a terminal; for text, use 'safegroup dump'.
            """
    )

    @Argument(help: "The service's socket path, or a remote service: ssh://[user@]host[:port][/path/to/socket].", completion: LiveSocketCompletion.kind)
    var socket: String?

    @Option(name: .long, help: "Attach to the live service with this process id.")
    var pid: Int32?

    @OptionGroup var display: DisplayOptions

    func validate() throws {
        if socket != nil && pid != nil { throw ValidationError("give SOCKET or --pid, not both") }
    }

    func run() async throws {
        let status = try await runDashboardReportingFailures {
            // A remote service is forwarded through the user's ssh to a local socket.
            let tunnel = try await socket.flatMap { RemoteService.isRemote($0) ? $0 : nil }.asyncMap { try await RemoteSelection.open($0, pick: true) }
            defer { tunnel?.close() }
            let path: String
            if let tunnel { path = tunnel.localPath } else { path = try await ServicePicker.socket(explicit: socket, pid: pid) }
            return try await MainActor.run {
                var source = LiveSource(path: path)
                return try DashboardRunner.runToExit(&source, colors: !display.noColor, limits: display.limits)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}
