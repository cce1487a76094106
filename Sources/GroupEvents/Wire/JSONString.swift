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

extension JSONString {
    /// The string members of a one-line JSON object (`{"snapshot":"/path"}`), unescaped; nil
    /// when `line` is not such an object. Other members are skipped; a nested value is read
    /// with the decoder's bounds, so no line can make it trap.
    package static func stringMembers(of line: [UInt8]) -> [String: String]? {
        line.withUnsafeBufferPointer { bytes -> [String: String]? in
            guard let base = bytes.baseAddress else { return nil }
            var scanner = JSONScanner(base: base, count: bytes.count)
            var members: [String: String] = [:]
            do throws(LineFailure) {
                scanner.skipWhitespace()
                try scanner.readObject(depth: 1) { (scanner, key) throws(LineFailure) in
                    let name = String(decoding: key, as: UTF8.self)
                    if scanner.peek() == UInt8(ascii: "\"") {
                        members[name] = try scanner.readString()
                    } else {
                        try scanner.skipValue(depth: 2)
                    }
                }
            } catch {
                return nil
            }
            return members
        }
    }
}
