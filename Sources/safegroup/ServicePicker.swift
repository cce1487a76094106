import GroupEvents
import MonitorClient
import Glibc
import SystemCalls

/// Lets the user choose among several live services, with a numbered prompt on the terminal,
/// before the dashboard takes the screen over.
enum ServicePicker {
    /// The socket to attach to: the one given or of `--pid` (as ``ServiceSelection`` decides),
    /// else the only live service, else the one the user picks from a numbered list.
    static func socket(explicit: String?, pid: Int32?) async throws(CommandFailure) -> String {
        let live = ServiceDirectory.scan().filter { $0.state == .live }
        // Nothing to choose, or no one to ask: ServiceSelection decides or explains.
        guard explicit == nil, pid == nil, live.count > 1, isatty(STDIN_FILENO) == 1 else {
            return try await ServiceSelection.socket(explicit: explicit, pid: pid)
        }
        if let chosen = pick(from: live, on: nil) { return chosen }
        throw CommandFailure("no service chosen")
    }

    /// Asks on the terminal which of `live` to use (on `host`, for a remote); nil when the user
    /// answers q or nothing, or stdin is not a terminal.
    static func pick(from live: [ServiceDirectory.Entry], on host: String?) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        var prompt = "\(live.count) live services\(host.map { " on \(TextSanitizer.sanitize($0))" } ?? ""):\n"
        for (number, entry) in live.enumerated() {
            let name = entry.nameFromPath.map { TextSanitizer.sanitize($0) } ?? "?"
            let pid = entry.pidFromPath.map(String.init) ?? "?"
            prompt += "  \(number + 1)) \(name) pid \(pid)  \(TextSanitizer.sanitize(entry.path))\n"
        }
        prompt += "attach to which one? [1-\(live.count)] "
        write(prompt)
        while let answer = readLine() {
            let text = answer.filter { $0 != " " && $0 != "\t" }
            if text.isEmpty || text == "q" { break }
            if let number = Int(text), (1...live.count).contains(number) { return live[number - 1].path }
            write("please answer a number from 1 to \(live.count), or q: ")
        }
        return nil
    }

    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { try? Posix.writeAll(STDERR_FILENO, $0, subject: "standard error") }
    }
}
