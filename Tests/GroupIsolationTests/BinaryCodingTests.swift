import Foundation
@testable import GroupIsolation
import Testing

/// The binary `Codable` format of jobs' data: every shape `Codable` makes survives a round trip.
struct BinaryCodingTests {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon([Int8], closed: Bool)
        case empty
    }

    struct Everything: Codable, Equatable {
        var int = -42
        var int8: Int8 = -8, int16: Int16 = -16, int32: Int32 = -32, int64: Int64 = .min
        var uint: UInt = 42, uint8: UInt8 = 255, uint16: UInt16 = 16, uint32: UInt32 = 32, uint64: UInt64 = .max
        var double = 3.25, float: Float = -1.5
        var flag = true
        var text = "héllo, wörld 👋"
        var empty = ""
        var optional: String? = nil
        var present: Int? = 7
        var nested: [[Int]] = [[1, 2], [], [3]]
        var dictionary: [String: Double] = ["a": 1, "b": 2.5]
        var intKeys: [Int: String] = [1: "one", -2: "minus two"]
        var shapes: [Shape] = [.circle(radius: 2), .polygon([1, -2, 3], closed: false), .empty]
        var optionals: [Int?] = [1, nil, 3]
        var date = Date(timeIntervalSince1970: 1_700_000_000.5)
        var data = Data([0, 1, 254, 255])
        var url = URL(string: "https://example.com/a?b=c")!
    }

    class Base: Codable {
        var name = "base"
        init() {}
    }

    final class Derived: Base {
        var extra = 9
        enum Keys: CodingKey { case extra }
        override init() { super.init() }
        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            extra = try container.decode(Int.self, forKey: .extra)
            try super.init(from: container.superDecoder())
        }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(extra, forKey: .extra)
            try super.encode(to: container.superEncoder())
        }
    }

    private func roundTrip<T: Codable>(_ value: T) throws -> T {
        try JobCodec.decode(T.self, from: try JobCodec.encode(value))
    }

    @Test func everyKindOfValueRoundTrips() throws {
        var value = Everything()
        #expect(try roundTrip(value) == value)
        value.optional = "now set"
        value.present = nil
        #expect(try roundTrip(value) == value)
    }

    @Test func topLevelScalarsOptionalsAndCollectionsRoundTrip() throws {
        #expect(try roundTrip(42) == 42)
        #expect(try roundTrip("text") == "text")
        #expect(try roundTrip(Int?.none) == nil)
        #expect(try roundTrip([UInt8](repeating: 7, count: 1_000)) == [UInt8](repeating: 7, count: 1_000))
        #expect(try roundTrip(["k": ["x": [true, false]]]) == ["k": ["x": [true, false]]])
    }

    @Test func superEncodersRoundTrip() throws {
        let value = Derived()
        value.name = "derived"
        value.extra = 11
        let decoded = try roundTrip(value)
        #expect(decoded.name == "derived" && decoded.extra == 11)
    }

    @Test func wrongTypesMissingKeysAndTruncatedDataAreDecodingErrors() throws {
        struct Wanted: Codable { var count: Int }
        struct Other: Codable { var other: Int }
        #expect(throws: DecodingError.self) { try JobCodec.decode(Wanted.self, from: try JobCodec.encode(Other(other: 1))) }
        #expect(throws: DecodingError.self) { try JobCodec.decode(Int.self, from: try JobCodec.encode("text")) }
        #expect(throws: DecodingError.self) { try JobCodec.decode(Int8.self, from: try JobCodec.encode(300)) }
        let bytes = try JobCodec.encode(Everything())
        for cut in [0, 1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: DecodingError.self) { try JobCodec.decode(Everything.self, from: Array(bytes[..<cut])) }
        }
        #expect(throws: DecodingError.self) { try JobCodec.decode(Int.self, from: try JobCodec.encode(1) + [0]) }
    }
}
