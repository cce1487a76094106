import GroupEvents

/// JSON string literals for `list --json`.
enum JSONText {
    /// `text` as a JSON string: the wire's escaping (quotes, backslashes, C0 controls), then
    /// what `dump --json` escapes for a terminal (DEL, C1, bidi controls).
    static func quoted(_ text: String) -> String {
        var output: [UInt8] = []
        TerminalSafeJSON.append(JSONString.quoted(text), to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
