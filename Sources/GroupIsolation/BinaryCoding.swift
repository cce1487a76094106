/// A compact binary `Codable` format for jobs' inputs and outputs.
///
/// Every value is a tag byte and its payload: nil; false; true; a signed integer (8 bytes,
/// little-endian); an unsigned one (8 bytes); a `Double` (8 bytes) or `Float` (4 bytes); a string
/// (4-byte length, UTF-8); a keyed container (4-byte byte length, 4-byte count, then for each entry
/// a string key and a value); an unkeyed one (4-byte byte length, 4-byte count, the values). The
/// byte lengths let a decoder skip a value without reading it, so keyed values are found by key in
/// any order, as `Codable` allows. Both sides of a job channel run the same binary, so the format
/// needs no versioning.
enum BinaryTag: UInt8 {
    case null = 0, `false`, `true`, int, uint, double, float, string, keyed, unkeyed
}

/// A value being encoded: scalars inline, containers as shared stores (containers are
/// reference-like in `Codable`: a nested container is filled after it was handed out).
@usableFromInline
indirect enum BinaryValue {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case float(Float)
    case string(String)
    case keyed(BinaryKeyedStore)
    case unkeyed(BinaryUnkeyedStore)
    /// What an encoder handed out for a nested value or a super class will hold once encoded.
    case pending(BinaryEncoderImpl)
}

@usableFromInline
final class BinaryKeyedStore {
    var keys: [String] = []
    var values: [BinaryValue] = []

    func set(_ key: String, _ value: BinaryValue) {
        if let index = keys.firstIndex(of: key) {
            values[index] = value
        } else {
            keys.append(key)
            values.append(value)
        }
    }
}

@usableFromInline
final class BinaryUnkeyedStore {
    var values: [BinaryValue] = []
}

// MARK: Encoding

/// Encodes a value to the binary format.
@usableFromInline
struct BinaryEncoder {
    @usableFromInline init() {}

    @usableFromInline
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = try BinaryEncoderImpl.box(value, codingPath: [])
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        Self.write(root, into: &bytes)
        return bytes
    }

    static func write(_ value: BinaryValue, into bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(BinaryTag.null.rawValue)
        case .bool(let flag): bytes.append(flag ? BinaryTag.true.rawValue : BinaryTag.false.rawValue)
        case .int(let number):
            bytes.append(BinaryTag.int.rawValue)
            append(UInt64(bitPattern: number), into: &bytes)
        case .uint(let number):
            bytes.append(BinaryTag.uint.rawValue)
            append(number, into: &bytes)
        case .double(let number):
            bytes.append(BinaryTag.double.rawValue)
            append(number.bitPattern, into: &bytes)
        case .float(let number):
            bytes.append(BinaryTag.float.rawValue)
            append32(number.bitPattern, into: &bytes)
        case .string(let text):
            bytes.append(BinaryTag.string.rawValue)
            appendString(text, into: &bytes)
        case .keyed(let store):
            bytes.append(BinaryTag.keyed.rawValue)
            let start = bytes.count
            append32(0, into: &bytes)
            append32(UInt32(store.keys.count), into: &bytes)
            for (key, value) in zip(store.keys, store.values) {
                appendString(key, into: &bytes)
                write(value, into: &bytes)
            }
            patchLength(at: start, in: &bytes)
        case .unkeyed(let store):
            bytes.append(BinaryTag.unkeyed.rawValue)
            let start = bytes.count
            append32(0, into: &bytes)
            append32(UInt32(store.values.count), into: &bytes)
            for value in store.values { write(value, into: &bytes) }
            patchLength(at: start, in: &bytes)
        case .pending(let encoder):
            write(encoder.value ?? .keyed(BinaryKeyedStore()), into: &bytes)
        }
    }

    private static func append(_ value: UInt64, into bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append32(_ value: UInt32, into bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func appendString(_ text: String, into bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            append32(UInt32(utf8.count), into: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Writes the byte length of what follows the 4 bytes at `start`.
    private static func patchLength(at start: Int, in bytes: inout [UInt8]) {
        let length = UInt32(bytes.count - start - 4).littleEndian
        withUnsafeBytes(of: length) { raw in
            for index in 0..<4 { bytes[start + index] = raw[index] }
        }
    }
}

/// The `Encoder` of one value; containers write into its ``value``.
@usableFromInline
final class BinaryEncoderImpl: Encoder {
    @usableFromInline let codingPath: [any CodingKey]
    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { [:] }
    var value: BinaryValue?

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    /// The value of `value`: scalars directly, anything else through its `encode(to:)`.
    static func box<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> BinaryValue {
        guard codingPath.count <= BinaryCodingLimits.maximumDepth else {
            throw EncodingError.invalidValue(value, .init(codingPath: Array(codingPath.prefix(8)),
                debugDescription: "values nested more than \(BinaryCodingLimits.maximumDepth) levels deep; flatten the job's data"))
        }
        switch value {
        case let text as String: return .string(text)
        case let number as Int: return .int(Int64(number))
        case let number as Double: return .double(number)
        case let flag as Bool: return .bool(flag)
        default:
            let encoder = BinaryEncoderImpl(codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.value ?? .keyed(BinaryKeyedStore())
        }
    }

    @usableFromInline
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let store: BinaryKeyedStore
        if case .keyed(let existing) = value {
            store = existing
        } else {
            store = BinaryKeyedStore()
            value = .keyed(store)
        }
        return KeyedEncodingContainer(BinaryKeyedEncoding<Key>(store: store, codingPath: codingPath))
    }

    @usableFromInline
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let store: BinaryUnkeyedStore
        if case .unkeyed(let existing) = value {
            store = existing
        } else {
            store = BinaryUnkeyedStore()
            value = .unkeyed(store)
        }
        return BinaryUnkeyedEncoding(store: store, codingPath: codingPath)
    }

    @usableFromInline
    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinarySingleValueEncoding(encoder: self)
    }
}

/// A key for the elements of unkeyed containers and for `super`, in coding paths.
struct BinaryIndexKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init(intValue: Int) { stringValue = "Index \(intValue)"; self.intValue = intValue }
}

struct BinaryKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let store: BinaryKeyedStore
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { store.set(key.stringValue, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { store.set(key.stringValue, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { store.set(key.stringValue, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { store.set(key.stringValue, .double(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { store.set(key.stringValue, .float(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { store.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { store.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { store.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { store.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { store.set(key.stringValue, .int(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { store.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { store.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { store.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { store.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { store.set(key.stringValue, .uint(value)) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        store.set(key.stringValue, try BinaryEncoderImpl.box(value, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = BinaryKeyedStore()
        store.set(key.stringValue, .keyed(nested))
        return KeyedEncodingContainer(BinaryKeyedEncoding<NestedKey>(store: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = BinaryUnkeyedStore()
        store.set(key.stringValue, .unkeyed(nested))
        return BinaryUnkeyedEncoding(store: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let key = BinaryIndexKey(stringValue: "super")
        let encoder = BinaryEncoderImpl(codingPath: codingPath + [key])
        store.set(key.stringValue, .pending(encoder))
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let encoder = BinaryEncoderImpl(codingPath: codingPath + [key])
        store.set(key.stringValue, .pending(encoder))
        return encoder
    }
}

struct BinaryUnkeyedEncoding: UnkeyedEncodingContainer {
    let store: BinaryUnkeyedStore
    let codingPath: [any CodingKey]
    var count: Int { store.values.count }

    private var nextPath: [any CodingKey] { codingPath + [BinaryIndexKey(intValue: count)] }

    mutating func encodeNil() throws { store.values.append(.null) }
    mutating func encode(_ value: Bool) throws { store.values.append(.bool(value)) }
    mutating func encode(_ value: String) throws { store.values.append(.string(value)) }
    mutating func encode(_ value: Double) throws { store.values.append(.double(value)) }
    mutating func encode(_ value: Float) throws { store.values.append(.float(value)) }
    mutating func encode(_ value: Int) throws { store.values.append(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { store.values.append(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { store.values.append(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { store.values.append(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { store.values.append(.int(value)) }
    mutating func encode(_ value: UInt) throws { store.values.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { store.values.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { store.values.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { store.values.append(.uint(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { store.values.append(.uint(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        store.values.append(try BinaryEncoderImpl.box(value, codingPath: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = BinaryKeyedStore()
        let path = nextPath
        store.values.append(.keyed(nested))
        return KeyedEncodingContainer(BinaryKeyedEncoding<NestedKey>(store: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = BinaryUnkeyedStore()
        let path = nextPath
        store.values.append(.unkeyed(nested))
        return BinaryUnkeyedEncoding(store: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = BinaryEncoderImpl(codingPath: nextPath)
        store.values.append(.pending(encoder))
        return encoder
    }
}

struct BinarySingleValueEncoding: SingleValueEncodingContainer {
    let encoder: BinaryEncoderImpl
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.value = .null }
    mutating func encode(_ value: Bool) throws { encoder.value = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.value = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.value = .double(value) }
    mutating func encode(_ value: Float) throws { encoder.value = .float(value) }
    mutating func encode(_ value: Int) throws { encoder.value = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { encoder.value = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { encoder.value = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { encoder.value = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { encoder.value = .int(value) }
    mutating func encode(_ value: UInt) throws { encoder.value = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { encoder.value = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { encoder.value = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { encoder.value = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.value = .uint(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.value = try BinaryEncoderImpl.box(value, codingPath: codingPath)
    }
}

// MARK: Decoding

/// Decodes a value from the binary format.
@usableFromInline
struct BinaryDecoder {
    @usableFromInline init() {}

    @usableFromInline
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let input = BinaryInput(bytes)
        let end = try input.end(ofValueAt: 0, codingPath: [])
        guard end == bytes.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(bytes.count - end) bytes after the value"))
        }
        return try BinaryDecoderImpl.unbox(type, at: 0, input: input, codingPath: [])
    }
}

/// The bytes being decoded, with bounds-checked readers.
final class BinaryInput {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func corrupted(_ path: [any CodingKey], _ what: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: path, debugDescription: what))
    }

    func tag(at offset: Int, _ path: [any CodingKey]) throws -> BinaryTag {
        guard offset < bytes.count else { throw corrupted(path, "the data ends where a value should be") }
        guard let tag = BinaryTag(rawValue: bytes[offset]) else { throw corrupted(path, "unknown value tag \(bytes[offset])") }
        return tag
    }

    func u32(at offset: Int, _ path: [any CodingKey]) throws -> Int {
        guard offset >= 0, offset + 4 <= bytes.count else { throw corrupted(path, "the data ends inside a length") }
        return Int(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
    }

    func u64(at offset: Int, _ path: [any CodingKey]) throws -> UInt64 {
        guard offset >= 0, offset + 8 <= bytes.count else { throw corrupted(path, "the data ends inside a number") }
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }

    /// The string whose length is at `offset`, and where it ends.
    func string(at offset: Int, _ path: [any CodingKey]) throws -> (String, Int) {
        let count = try u32(at: offset, path)
        let start = offset + 4
        guard start + count <= bytes.count else { throw corrupted(path, "the data ends inside a string") }
        return (String(decoding: bytes[start..<(start + count)], as: UTF8.self), start + count)
    }

    /// The container at `offset`: its entry count, where its first entry starts and where it
    /// ends. The count comes from the data: it is checked against the bytes the container's
    /// length says it holds (each entry takes at least `minimumEntrySize`), so that a corrupt
    /// count is an error, not a reservation of billions of slots.
    func container(at offset: Int, minimumEntrySize: Int, _ path: [any CodingKey]) throws -> (count: Int, start: Int, end: Int) {
        let end = try self.end(ofValueAt: offset, codingPath: path)
        let start = offset + 9
        guard start <= end else { throw corrupted(path, "a container shorter than its entry count") }
        let count = try u32(at: offset + 5, path)
        let room = (end - start) / minimumEntrySize
        guard count <= room else {
            throw corrupted(path, "a container claims \(count) entries but its \(end - start) bytes hold at most \(room)")
        }
        return (count, start, end)
    }

    /// Where the value at `offset` ends.
    func end(ofValueAt offset: Int, codingPath path: [any CodingKey]) throws -> Int {
        let end: Int
        switch try tag(at: offset, path) {
        case .null, .false, .true: end = offset + 1
        case .int, .uint, .double: end = offset + 9
        case .float: end = offset + 5
        case .string: end = offset + 5 + (try u32(at: offset + 1, path))
        case .keyed, .unkeyed: end = offset + 5 + (try u32(at: offset + 1, path))
        }
        guard end <= bytes.count else { throw corrupted(path, "the data ends inside a value") }
        return end
    }

    func mismatch(_ type: Any.Type, _ tag: BinaryTag, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found a value tagged \(tag)"))
    }

    func bool(at offset: Int, _ path: [any CodingKey]) throws -> Bool {
        switch try tag(at: offset, path) {
        case .true: return true
        case .false: return false
        case let other: throw mismatch(Bool.self, other, path)
        }
    }

    func string(value offset: Int, _ path: [any CodingKey]) throws -> String {
        let found = try tag(at: offset, path)
        guard found == .string else { throw mismatch(String.self, found, path) }
        return try string(at: offset + 1, path).0
    }

    func double(at offset: Int, _ path: [any CodingKey]) throws -> Double {
        switch try tag(at: offset, path) {
        case .double: return Double(bitPattern: try u64(at: offset + 1, path))
        case .float: return Double(Float(bitPattern: UInt32(try u32(at: offset + 1, path))))
        case let other: throw mismatch(Double.self, other, path)
        }
    }

    func float(at offset: Int, _ path: [any CodingKey]) throws -> Float {
        switch try tag(at: offset, path) {
        case .float: return Float(bitPattern: UInt32(try u32(at: offset + 1, path)))
        case .double: return Float(Double(bitPattern: try u64(at: offset + 1, path)))
        case let other: throw mismatch(Float.self, other, path)
        }
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type, at offset: Int, _ path: [any CodingKey]) throws -> I {
        let found = try tag(at: offset, path)
        let value: I?
        switch found {
        case .int: value = I(exactly: Int64(bitPattern: try u64(at: offset + 1, path)))
        case .uint: value = I(exactly: try u64(at: offset + 1, path))
        default: throw mismatch(I.self, found, path)
        }
        guard let value else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "the number does not fit in \(I.self)"))
        }
        return value
    }
}

/// The `Decoder` of the value at one offset.
final class BinaryDecoderImpl: Decoder {
    let input: BinaryInput
    let offset: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(input: BinaryInput, offset: Int, codingPath: [any CodingKey]) {
        self.input = input
        self.offset = offset
        self.codingPath = codingPath
    }

    static func unbox<T: Decodable>(_ type: T.Type, at offset: Int, input: BinaryInput, codingPath: [any CodingKey]) throws -> T {
        try checkDepth(codingPath)
        if T.self == String.self { return try input.string(value: offset, codingPath) as! T }
        if T.self == Int.self { return try input.integer(Int.self, at: offset, codingPath) as! T }
        if T.self == Double.self { return try input.double(at: offset, codingPath) as! T }
        if T.self == Bool.self { return try input.bool(at: offset, codingPath) as! T }
        return try T(from: BinaryDecoderImpl(input: input, offset: offset, codingPath: codingPath))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try Self.checkDepth(codingPath)
        let found = try input.tag(at: offset, codingPath)
        guard found == .keyed else { throw input.mismatch([String: Any].self, found, codingPath) }
        return KeyedDecodingContainer(try BinaryKeyedDecoding<Key>(input: input, offset: offset, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try Self.checkDepth(codingPath)
        let found = try input.tag(at: offset, codingPath)
        guard found == .unkeyed else { throw input.mismatch([Any].self, found, codingPath) }
        return try BinaryUnkeyedDecoding(input: input, offset: offset, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecoding(decoder: self)
    }

    /// Values nested deeper than ``BinaryCodingLimits/maximumDepth`` are refused: decoding
    /// recurses once per level, and hostile data must not overflow the stack.
    static func checkDepth(_ codingPath: [any CodingKey]) throws {
        guard codingPath.count <= BinaryCodingLimits.maximumDepth else {
            throw DecodingError.dataCorrupted(.init(codingPath: Array(codingPath.prefix(8)),
                debugDescription: "values nested more than \(BinaryCodingLimits.maximumDepth) levels deep; flatten the job's data"))
        }
    }
}

/// Bounds of the binary format.
enum BinaryCodingLimits {
    /// The deepest nesting of containers encoded or decoded: each level is a recursion.
    static let maximumDepth = 512
}

struct BinaryKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let input: BinaryInput
    let codingPath: [any CodingKey]
    private let keys: [String]
    private let offsets: [Int]

    init(input: BinaryInput, offset: Int, codingPath: [any CodingKey]) throws {
        self.input = input
        self.codingPath = codingPath
        // An entry is at least a key's length and a tag.
        let (count, start, end) = try input.container(at: offset, minimumEntrySize: 5, codingPath)
        var keys: [String] = []
        var offsets: [Int] = []
        keys.reserveCapacity(count)
        offsets.reserveCapacity(count)
        var cursor = start
        for _ in 0..<count {
            let (key, valueOffset) = try input.string(at: cursor, codingPath)
            guard valueOffset < end else { throw input.corrupted(codingPath, "an entry runs past the end of its container") }
            keys.append(key)
            offsets.append(valueOffset)
            cursor = try input.end(ofValueAt: valueOffset, codingPath: codingPath)
            guard cursor <= end else { throw input.corrupted(codingPath, "an entry runs past the end of its container") }
        }
        guard cursor == end else { throw input.corrupted(codingPath, "\(end - cursor) bytes after the container's last entry") }
        self.keys = keys
        self.offsets = offsets
    }

    var allKeys: [Key] { keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { keys.contains(key.stringValue) }

    private func offset(of key: Key) throws -> Int {
        let name = key.stringValue
        for index in keys.indices where keys[index] == name { return offsets[index] }
        throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key '\(name)'"))
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try input.tag(at: try offset(of: key), codingPath + [key]) == .null
    }

    private func present(_ key: Key, _ type: Any.Type) throws -> Int {
        let at = try offset(of: key)
        if try input.tag(at: at, codingPath + [key]) == .null {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [key], debugDescription: "the value is nil"))
        }
        return at
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try input.bool(at: present(key, type), codingPath + [key]) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try input.string(value: present(key, type), codingPath + [key]) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try input.double(at: present(key, type), codingPath + [key]) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try input.float(at: present(key, type), codingPath + [key]) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try input.integer(type, at: present(key, type), codingPath + [key]) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try input.integer(type, at: present(key, type), codingPath + [key]) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try BinaryDecoderImpl.unbox(type, at: try offset(of: key), input: input, codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try BinaryDecoderImpl(input: input, offset: try offset(of: key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try BinaryDecoderImpl(input: input, offset: try offset(of: key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = BinaryIndexKey(stringValue: "super")
        guard let index = keys.firstIndex(of: key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for super"))
        }
        return BinaryDecoderImpl(input: input, offset: offsets[index], codingPath: codingPath + [key])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        BinaryDecoderImpl(input: input, offset: try offset(of: key), codingPath: codingPath + [key])
    }
}

struct BinaryUnkeyedDecoding: UnkeyedDecodingContainer {
    let input: BinaryInput
    let codingPath: [any CodingKey]
    private let offsets: [Int]
    private(set) var currentIndex = 0

    init(input: BinaryInput, offset: Int, codingPath: [any CodingKey]) throws {
        self.input = input
        self.codingPath = codingPath
        // A value is at least its tag.
        let (count, start, end) = try input.container(at: offset, minimumEntrySize: 1, codingPath)
        var offsets: [Int] = []
        offsets.reserveCapacity(count)
        var cursor = start
        for _ in 0..<count {
            offsets.append(cursor)
            guard cursor < end else { throw input.corrupted(codingPath, "a value runs past the end of its container") }
            cursor = try input.end(ofValueAt: cursor, codingPath: codingPath)
            guard cursor <= end else { throw input.corrupted(codingPath, "a value runs past the end of its container") }
        }
        guard cursor == end else { throw input.corrupted(codingPath, "\(end - cursor) bytes after the container's last value") }
        self.offsets = offsets
    }

    var count: Int? { offsets.count }
    var isAtEnd: Bool { currentIndex >= offsets.count }

    private var path: [any CodingKey] { codingPath + [BinaryIndexKey(intValue: currentIndex)] }

    /// The next value's offset; moves past it.
    private mutating func next(_ type: Any.Type) throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the unkeyed container is at its end"))
        }
        defer { currentIndex += 1 }
        return offsets[currentIndex]
    }

    private mutating func present(_ type: Any.Type) throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the unkeyed container is at its end"))
        }
        if try input.tag(at: offsets[currentIndex], path) == .null {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "the value is nil"))
        }
        return try next(type)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any?.self, .init(codingPath: path, debugDescription: "the unkeyed container is at its end"))
        }
        if try input.tag(at: offsets[currentIndex], path) == .null {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let p = path; return try input.bool(at: present(type), p) }
    mutating func decode(_ type: String.Type) throws -> String { let p = path; return try input.string(value: present(type), p) }
    mutating func decode(_ type: Double.Type) throws -> Double { let p = path; return try input.double(at: present(type), p) }
    mutating func decode(_ type: Float.Type) throws -> Float { let p = path; return try input.float(at: present(type), p) }
    mutating func decode(_ type: Int.Type) throws -> Int { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let p = path; return try input.integer(type, at: present(type), p) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let p = path; return try input.integer(type, at: present(type), p) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let p = path
        return try BinaryDecoderImpl.unbox(type, at: try next(type), input: input, codingPath: p)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let p = path
        return try BinaryDecoderImpl(input: input, offset: try next(type), codingPath: p).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let p = path
        return try BinaryDecoderImpl(input: input, offset: try next([Any].self), codingPath: p).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let p = path
        return BinaryDecoderImpl(input: input, offset: try next(Any.self), codingPath: p)
    }
}

struct BinarySingleValueDecoding: SingleValueDecodingContainer {
    let decoder: BinaryDecoderImpl
    var codingPath: [any CodingKey] { decoder.codingPath }
    private var input: BinaryInput { decoder.input }
    private var at: Int { decoder.offset }

    func decodeNil() -> Bool { (try? input.tag(at: at, codingPath)) == .null }

    private func present(_ type: Any.Type) throws -> Int {
        if try input.tag(at: at, codingPath) == .null {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "the value is nil"))
        }
        return at
    }

    func decode(_ type: Bool.Type) throws -> Bool { try input.bool(at: present(type), codingPath) }
    func decode(_ type: String.Type) throws -> String { try input.string(value: present(type), codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try input.double(at: present(type), codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try input.float(at: present(type), codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try input.integer(type, at: present(type), codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try input.integer(type, at: present(type), codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try BinaryDecoderImpl.unbox(type, at: at, input: input, codingPath: codingPath)
    }
}
