/// A JSON string literal, escaped as the wire encoder escapes every string of a line.
///
/// For the package's other JSON outputs (`list --json`): one escaper, not a copy per command.
package enum JSONString {
    /// `text` as a JSON string literal: quotes, backslashes and C0 controls escaped.
    package static func quoted(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { utf8 in
            [UInt8](unsafeUninitializedCapacity: ByteWriter.bound(ofString: utf8.count)) { buffer, count in
                var writer = ByteWriter(buffer.baseAddress!)
                writer.string(utf8: utf8, limit: utf8.count)
                count = writer.written.count
            }
        }
    }
}
