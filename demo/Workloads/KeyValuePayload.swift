/// The demo backends' wire format: `key=value;` fields, each terminated by `;`.
///
/// Small on purpose, but a real decoder: a body truncated in transit or a field of the wrong
/// shape fails with a ``PayloadDecodingError`` naming the byte offset, from this code.
struct KeyValuePayload {
    private var fields: [String: String] = [:]

    static func encode(_ fields: KeyValuePairs<String, String>) -> [UInt8] {
        var bytes: [UInt8] = []
        for (key, value) in fields {
            bytes += Array(key.utf8) + [UInt8(ascii: "=")] + Array(value.utf8) + [UInt8(ascii: ";")]
        }
        return bytes
    }

    /// Decodes a whole body; every field must be terminated.
    static func decode(_ bytes: [UInt8]) throws(PayloadDecodingError) -> KeyValuePayload {
        var payload = KeyValuePayload()
        var start = 0
        while start < bytes.count {
            guard let equals = bytes[start...].firstIndex(of: UInt8(ascii: "=")) else {
                throw PayloadDecodingError(offset: start, reason: "field without '='")
            }
            guard let end = bytes[equals...].firstIndex(of: UInt8(ascii: ";")) else {
                throw PayloadDecodingError(offset: bytes.count, reason: "unterminated field (body truncated?)")
            }
            let key = String(decoding: bytes[start..<equals], as: UTF8.self)
            payload.fields[key] = String(decoding: bytes[(equals + 1)..<end], as: UTF8.self)
            start = end + 1
        }
        return payload
    }

    /// The text of field `key`, or nil when the payload has none.
    subscript(key: String) -> String? { fields[key] }

    /// The text of field `key`.
    func string(_ key: String) throws(PayloadDecodingError) -> String {
        guard let value = fields[key] else { throw PayloadDecodingError(offset: 0, reason: "missing field '\(key)'") }
        return value
    }

    /// The integer in field `key`.
    func int(_ key: String) throws(PayloadDecodingError) -> Int {
        let text = try string(key)
        guard let value = Int(text) else { throw PayloadDecodingError(offset: 0, reason: "field '\(key)' is not an integer: '\(text)'") }
        return value
    }
}
