/// Why a line could not be read: a short reason, shown in a ``WireDiagnostic``.
struct LineFailure: Error {
    var reason: String
}

/// Reads JSON tokens from the bytes of one line, in place.
///
/// Every read is bounds-checked against the line's end (``peek`` returns 0 past it, a byte
/// no JSON token starts with), integers are parsed with overflow checks, and skipped values
/// nest at most ``maxDepth`` deep: no input can make it trap, loop or recurse without bound.
struct JSONScanner {
    /// How deep objects and arrays may nest, the line's own object included.
    static let maxDepth = 64

    let base: UnsafePointer<UInt8>
    let end: Int
    var position = 0
    /// Where strings with escapes are unescaped; reused, so only the first one allocates.
    private(set) var scratch: [UInt8] = []

    /// A scanner of the `count` bytes at `base`.
    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.end = count
    }

    var isAtEnd: Bool { position >= end }

    /// The current byte, or 0 at the end of the line.
    @inline(__always)
    func peek() -> UInt8 { position < end ? base[position] : 0 }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            switch base[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): position += 1
            default: return
            }
        }
    }

    /// Skips whitespace, then consumes `byte` or fails saying what was expected.
    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(LineFailure) {
        skipWhitespace()
        guard peek() == byte else { throw failure("expected \(what)") }
        position += 1
    }

    /// Skips whitespace, then consumes `byte` if it is next.
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard peek() == byte else { return false }
        position += 1
        return true
    }

    func failure(_ reason: String) -> LineFailure {
        LineFailure(reason: "\(reason) at byte \(position + 1)")
    }

    // MARK: Objects

    /// Reads the members of an object whose `{` is next, calling `member` with each key's
    /// unescaped bytes; `member` must read the value.
    @inline(__always)
    mutating func readObject(
        depth: Int,
        _ member: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws(LineFailure) -> Void
    ) throws(LineFailure) {
        guard depth <= Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth)") }
        try expect(UInt8(ascii: "{"), "'{'")
        if consume(UInt8(ascii: "}")) { return }
        repeat {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key") }
            let key = try readRawString()
            try expect(UInt8(ascii: ":"), "':' after a key")
            skipWhitespace()
            if key.isEscaped {
                // The member may unescape another string into `scratch`: hand it a copy.
                let copy = scratch
                try copy.withUnsafeBufferPointer { (bytes) throws(LineFailure) in try member(&self, bytes) }
            } else {
                try member(&self, UnsafeBufferPointer(start: base + key.start, count: key.count))
            }
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}'")
    }

    /// Reads an array whose `[` is next, calling `element` for each element; `element`
    /// must read the value.
    @inline(__always)
    mutating func readArray(
        depth: Int, _ element: (inout JSONScanner) throws(LineFailure) -> Void
    ) throws(LineFailure) {
        guard depth <= Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth)") }
        try expect(UInt8(ascii: "["), "'['")
        if consume(UInt8(ascii: "]")) { return }
        repeat {
            skipWhitespace()
            try element(&self)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']'")
    }

    /// Skips one value of any type, checking its syntax.
    mutating func skipValue(depth: Int) throws(LineFailure) {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"):
            try readObject(depth: depth) { (s, _) throws(LineFailure) in try s.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try readArray(depth: depth) { (s) throws(LineFailure) in try s.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw failure("expected a value")
        }
    }

    // MARK: Literals

    /// Reads `true` or `false`.
    mutating func readBool() throws(LineFailure) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw failure("expected true or false")
        }
    }

    /// Consumes `null` if it is next: an optional field may be written as null.
    mutating func consumeNull() throws(LineFailure) -> Bool {
        skipWhitespace()
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws(LineFailure) {
        let count = word.utf8CodeUnitCount
        guard end - position >= count,
              UnsafeBufferPointer(start: base + position, count: count).equals(word)
        else { throw failure("expected \(word)") }
        position += count
    }

    // MARK: Numbers

    /// Reads an integer that fits `UInt64`. Fractions, exponents and overflow are failures.
    mutating func readUnsigned() throws(LineFailure) -> UInt64 {
        let (negative, magnitude) = try readInteger()
        guard !negative || magnitude == 0 else { throw failure("expected a non-negative integer") }
        return magnitude
    }

    /// Reads an integer that fits `Int64`.
    mutating func readSigned() throws(LineFailure) -> Int64 {
        let (negative, magnitude) = try readInteger()
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw failure("integer out of range") }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw failure("integer out of range") }
        return Int64(magnitude)
    }

    /// Reads an integer and narrows it to `T`, failing when it does not fit.
    mutating func readInteger<T: FixedWidthInteger>(as: T.Type) throws(LineFailure) -> T {
        let value: T?
        if T.isSigned { value = T(exactly: try readSigned()) } else { value = T(exactly: try readUnsigned()) }
        guard let value else { throw failure("integer out of range") }
        return value
    }

    private mutating func readInteger() throws(LineFailure) -> (negative: Bool, magnitude: UInt64) {
        skipWhitespace()
        let negative = peek() == UInt8(ascii: "-")
        if negative { position += 1 }
        let first = position
        var value: UInt64 = 0
        // Nineteen digits always fit in UInt64: only a twentieth needs an overflow check.
        // Timestamps have ten digits or more, so take eight at a time while they last.
        while end - position >= 8, position - first <= 11,
              let eight = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self).eightDigitsValue {
            value = value &* 100_000_000 &+ eight
            position += 8
        }
        while position < end, position - first < 19, case let digit = base[position] &- UInt8(ascii: "0"), digit < 10 {
            value = value &* 10 &+ UInt64(digit)
            position += 1
        }
        while position < end, case let digit = base[position] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { throw failure("integer out of range") }
            value = sum
            position += 1
        }
        guard position > first else { throw failure("expected an integer") }
        guard base[first] != UInt8(ascii: "0") || position - first == 1 else { throw failure("leading zero in a number") }
        switch peek() {
        case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw failure("expected an integer, found a fraction or exponent")
        default: return (negative, value)
        }
    }

    /// Skips a number in full JSON syntax: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func skipNumber() throws(LineFailure) {
        if peek() == UInt8(ascii: "-") { position += 1 }
        if peek() == UInt8(ascii: "0") {
            position += 1
        } else {
            guard skipDigits() else { throw failure("expected a digit") }
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() else { throw failure("expected a digit after '.'") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() else { throw failure("expected a digit in the exponent") }
        }
    }

    private mutating func skipDigits() -> Bool {
        let first = position
        while position < end, base[position] &- UInt8(ascii: "0") < 10 { position += 1 }
        return position > first
    }

    // MARK: Strings

    /// A string token: its bytes in the line when it has no escapes, else in the scratch buffer.
    struct RawString {
        var start: Int
        var count: Int
        var isEscaped: Bool
    }

    /// Reads a string and returns it as a Swift `String`.
    ///
    /// Invalid UTF-8 is replaced by U+FFFD, as is an escaped lone surrogate: a string
    /// from the stream is always valid Unicode, and reading it never fails for its content.
    mutating func readString() throws(LineFailure) -> String {
        try readStringBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads a string and calls `body` with its unescaped bytes, which are valid only
    /// during the call: for matching a value against known names without building a `String`.
    mutating func readStringBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) throws(LineFailure) -> R {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string") }
        let token = try readRawString()
        if token.isEscaped {
            return scratch.withUnsafeBufferPointer(body)
        }
        return body(UnsafeBufferPointer(start: base + token.start, count: token.count))
    }

    /// Reads a string whose `"` is next; when it has escapes, unescapes it into `scratch`.
    mutating func readRawString() throws(LineFailure) -> RawString {
        position += 1
        let start = position
        while position < end {
            if position + 8 <= end {
                guard let offset = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self).firstQuoteBackslashOrControlByte else {
                    position += 8
                    continue
                }
                position += offset
            }
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return RawString(start: start, count: position - 1 - start, isEscaped: false)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            position += 1
        }
        guard position < end else { throw failure("unterminated string") }
        // Take the buffer out of `self`: `unescape` mutates `self` while it appends.
        var out: [UInt8] = []
        swap(&out, &scratch)
        defer { swap(&out, &scratch) }
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: UnsafeBufferPointer(start: base + start, count: position - start))
        try unescape(into: &out)
        return RawString(start: 0, count: out.count, isEscaped: true)
    }

    /// Copies the rest of a string, from its first `\`, into `out`, resolving escapes.
    private mutating func unescape(into out: inout [UInt8]) throws(LineFailure) {
        while position < end {
            let byte = base[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                let escaped = peek()
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): try unescapeUnicode(into: &out)
                default:
                    position -= 1
                    throw failure("invalid escape")
                }
            default:
                guard byte >= 0x20 else {
                    position -= 1
                    throw failure("control character in a string")
                }
                out.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    /// Resolves `\uXXXX` (its `\u` already read), pairing a high surrogate with a following
    /// `\uDC00`–`\uDFFF`. A surrogate without its partner becomes U+FFFD.
    private mutating func unescapeUnicode(into out: inout [UInt8]) throws(LineFailure) {
        let unit = try readHex4()
        var scalar = Unicode.Scalar(unit)
        if (0xD800...0xDBFF).contains(unit), end - position >= 6,
           base[position] == UInt8(ascii: "\\"), base[position + 1] == UInt8(ascii: "u") {
            let mark = position
            position += 2
            let low = try readHex4()
            if (0xDC00...0xDFFF).contains(low) {
                scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
            } else {
                // Not a partner: leave that escape to be read on its own.
                position = mark
            }
        }
        Self.appendUTF8(scalar ?? "\u{FFFD}", to: &out)
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case 0..<0x80:
            out.append(UInt8(value))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(value >> 6))
            out.append(0x80 | UInt8(value & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(value >> 12))
            out.append(0x80 | UInt8(value >> 6 & 0x3F))
            out.append(0x80 | UInt8(value & 0x3F))
        default:
            out.append(0xF0 | UInt8(value >> 18))
            out.append(0x80 | UInt8(value >> 12 & 0x3F))
            out.append(0x80 | UInt8(value >> 6 & 0x3F))
            out.append(0x80 | UInt8(value & 0x3F))
        }
    }

    private mutating func readHex4() throws(LineFailure) -> UInt16 {
        guard end - position >= 4 else { throw failure("incomplete \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = base[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// Skips a string whose `"` is next, checking its escapes.
    private mutating func skipString() throws(LineFailure) {
        position += 1
        while position < end {
            let byte = base[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return }
            if byte == UInt8(ascii: "\\") {
                let escaped = peek()
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    _ = try readHex4()
                default:
                    position -= 1
                    throw failure("invalid escape")
                }
            } else if byte < 0x20 {
                position -= 1
                throw failure("control character in a string")
            }
        }
        throw failure("unterminated string")
    }
}
