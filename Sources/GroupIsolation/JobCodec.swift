#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encodes jobs' inputs and outputs: JSON, the `Codable` format that needs no schema and
/// that a person can read in a trace of the channel.
///
/// (Measured by `safegroup-bench isolation`: a few microseconds for a small value, against a
/// round trip of tens of microseconds through the pipes and the worker.)
///
/// Inlinable, so that the coding is specialized for each job's types in the module that names
/// them: unspecialized, the generic `Codable` paths cost several times more.
@usableFromInline
enum JobCodec {
    @inlinable
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    @inlinable
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
