/// The identity of a group within one process.
///
/// Ids are process-unique, never reused, and start at 1. Events carry ids, never pointers,
/// so a viewer in another process can rebuild the tree.
public struct GroupID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "g\(rawValue)" }
}

/// The identity of a child task within one process.
///
/// Ids are process-unique, never reused, and start at 1.
public struct TaskID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "t\(rawValue)" }
}

/// Where a group was opened or a child was spawned: `#fileID` and `#line`.
///
/// Built from the caller's default arguments, so it costs nothing at the call:
/// the file stays a `StaticString` until someone asks for it as a `String`.
public struct SourceSite: Hashable, Sendable, CustomStringConvertible {
    private enum File: Sendable {
        case literal(StaticString)
        case text(String)
    }
    private let storage: File
    /// The line number, 1-based (0 when unknown).
    public let line: UInt32

    /// A site from compile-time literals, as default arguments give it.
    @inlinable
    public init(fileID: StaticString, line: UInt) {
        self.init(literal: fileID, line: UInt32(truncatingIfNeeded: line))
    }

    @usableFromInline
    init(literal: StaticString, line: UInt32) {
        self.storage = .literal(literal)
        self.line = line
    }

    /// A site from decoded text.
    public init(file: String, line: UInt32) {
        self.storage = .text(file)
        self.line = line
    }

    /// The `#fileID` of the site, for example `Checkout/Handler.swift`.
    public var file: String {
        switch storage {
        case .literal(let s): return s.description
        case .text(let s): return s
        }
    }

    /// Calls `body` with the UTF-8 bytes of ``file``, without building a `String` for a literal.
    ///
    /// The wire encoder writes a site on every spawn; going through ``file`` would allocate a
    /// `String` for each literal path longer than the small-string limit.
    package func withFileUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch storage {
        case .literal(let s):
            if s.hasPointerRepresentation {
                return body(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
            }
            var text = s.description
            return text.withUTF8(body)
        case .text(var s):
            return s.withUTF8(body)
        }
    }

    /// Where the file's bytes are, when that names them for as long as this site is kept:
    /// a literal's static bytes, or a decoded file's heap storage (which this value keeps
    /// alive). Nil for a file short enough to be a small string (its bytes live in the value,
    /// and a pointer to them is only to a copy).
    package var fileAddress: UInt? {
        switch storage {
        case .literal(let s):
            return s.hasPointerRepresentation ? UInt(bitPattern: s.utf8Start) : nil
        case .text(let s):
            guard s.utf8.count > 15 else { return nil }
            return s.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } ?? nil
        }
    }

    public var description: String { "\(file):\(line)" }

    public static func == (a: Self, b: Self) -> Bool { a.line == b.line && a.file == b.file }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(line)
    }
}
