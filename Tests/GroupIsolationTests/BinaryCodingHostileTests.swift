import Foundation
@testable import GroupIsolation
import Testing
import TestSupport

/// Hostile or corrupt bytes are decoding errors, never a trap: counts are checked against the
/// bytes a container holds, entries stay inside their container, and nesting is bounded.
struct BinaryCodingHostileTests {
    /// A recursive value: each level is a keyed container holding an unkeyed one.
    struct Nest: Codable, Equatable {
        var inner: [Nest]
    }

    @Test func aHugeUnkeyedCountIsAnErrorNotAReservation() {
        // An unkeyed container of 4 bytes (just its count) that claims 4,294,967,295 values.
        let bytes: [UInt8] = [0x09, 0x04, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: DecodingError.self) { try JobCodec.decode([Int].self, from: bytes) }
    }

    @Test func aHugeKeyedCountIsAnErrorNotAReservation() {
        let bytes: [UInt8] = [0x08, 0x04, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: DecodingError.self) { try JobCodec.decode([String: Int].self, from: bytes) }
    }

    @Test func entriesMustStayInsideTheirContainersLength() throws {
        // [[1], 2] encoded, then the inner container's length shortened to leave its value out:
        // the outer count still fits, but the inner value is outside the inner container.
        var bytes = try JobCodec.encode([[1], [2]])
        #expect(try JobCodec.decode([[Int]].self, from: bytes) == [[1], [2]])
        // Outer: tag, length (4), count (4); then the first inner container's tag and length.
        #expect(bytes[9] == BinaryTag.unkeyed.rawValue)
        bytes[10] = 4  // the first inner container says it holds its count only
        #expect(throws: DecodingError.self) { try JobCodec.decode([[Int]].self, from: bytes) }
        // A count one too high with the bytes of a trailing value missing.
        var counted = try JobCodec.encode([1, 2, 3])
        counted[5] = 4
        #expect(throws: DecodingError.self) { try JobCodec.decode([Int].self, from: counted) }
        // A container whose length claims more than its entries use.
        var padded = try JobCodec.encode([1, 2])
        padded[1] &+= 1
        padded.append(0)
        #expect(throws: DecodingError.self) { try JobCodec.decode([Int].self, from: padded) }
    }

    /// `depth` levels of `Nest`, built from the inside out without recursion.
    static func nestBytes(depth: Int) -> [UInt8] {
        func u32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(value).littleEndian) { Array($0) } }
        // The innermost: {"inner": []}
        var value: [UInt8] = [BinaryTag.unkeyed.rawValue] + u32(4) + u32(0)
        let key = Array("inner".utf8)
        for level in 0..<depth {
            var keyed = u32(1) + u32(key.count) + key + value
            keyed = [BinaryTag.keyed.rawValue] + u32(keyed.count) + keyed
            if level == depth - 1 { return keyed }
            value = [BinaryTag.unkeyed.rawValue] + u32(keyed.count + 4) + u32(1) + keyed
        }
        return value
    }

    @Test func deepNestingIsAClearErrorAndShallowNestingRoundTrips() throws {
        let shallow = Self.nestBytes(depth: 100)
        var nest = try JobCodec.decode(Nest.self, from: shallow)
        var levels = 1
        while let next = nest.inner.first { nest = next; levels += 1 }
        #expect(levels == 100)
        #expect(try JobCodec.encode(JobCodec.decode(Nest.self, from: shallow)) == shallow)

        let deep = Self.nestBytes(depth: 5_000)
        do {
            _ = try JobCodec.decode(Nest.self, from: deep)
            Issue.record("5,000 levels decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("nested more than \(BinaryCodingLimits.maximumDepth) levels"))
        }
    }

    @Test func encodingDeepNestingIsAClearError() throws {
        var deep = Nest(inner: [])
        for _ in 0..<2_000 { deep = Nest(inner: [deep]) }
        do {
            _ = try JobCodec.encode(deep)
            Issue.record("2,000 levels encoded")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.debugDescription.contains("nested more than \(BinaryCodingLimits.maximumDepth) levels"))
        }
        // Taken apart level by level: a recursive deinit of 2,000 levels is fine, but be tidy.
        while let next = deep.inner.first { deep = next }
    }

    /// Decodes `bytes` as several shapes; any outcome but a trap is fine.
    private func decodeAsEverything(_ bytes: [UInt8]) {
        _ = try? JobCodec.decode([Int].self, from: bytes)
        _ = try? JobCodec.decode([String: [Int]].self, from: bytes)
        _ = try? JobCodec.decode([[String]].self, from: bytes)
        _ = try? JobCodec.decode(Nest.self, from: bytes)
        _ = try? JobCodec.decode(BinaryCodingTests.Everything.self, from: bytes)
        _ = try? JobCodec.decode(String?.self, from: bytes)
    }

    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 0x5AFE_6120)
        let tags = (0...9).map(UInt8.init)
        for _ in 0..<3_000 {
            let count = random.below(64)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Mostly valid tags first, so the decoder gets past the first byte.
            if !bytes.isEmpty, random.below(4) != 0 { bytes[0] = tags[random.below(tags.count)] }
            decodeAsEverything(bytes)
        }
    }

    @Test func corruptedEncodingsNeverTrap() throws {
        var random = SplitMix64(seed: 0xC0DE)
        let valid = [try JobCodec.encode(BinaryCodingTests.Everything()), try JobCodec.encode(["k": [1, 2, 3]]),
                     Self.nestBytes(depth: 20)]
        for round in 0..<3_000 {
            var bytes = valid[round % valid.count]
            for _ in 0..<(1 + random.below(4)) {
                let index = random.below(bytes.count)
                switch random.below(3) {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[index] = [0x00, 0xFF, 0x7F, 0x80][random.below(4)]
                default: bytes.removeSubrange(index..<min(bytes.count, index + 1 + random.below(8)))
                }
                if bytes.isEmpty { break }
            }
            decodeAsEverything(bytes)
        }
    }
}
