/// Where the dashboard's events come from.
public enum DashboardMode: String, Hashable, Sendable {
    /// Attached to a running service's socket.
    case live = "LIVE"
    /// Playing a recorded file.
    case replay = "REPLAY"
    /// Running the demo workloads in-process.
    case demo = "DEMO"
}
