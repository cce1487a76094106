import Foundation
import Glibc

/// A fresh directory with mode 0700 under /tmp, removed with everything in it at the end.
///
/// The one scratch directory of every test target (three copies had grown apart).
public final class ScratchDirectory: Sendable {
    /// Its absolute path.
    public let path: String

    /// Makes the directory, named `/tmp/<prefix>.XXXXXX` (`mkdtemp`, so 0700 and never reused).
    public init(prefix: String = "sgtest") {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// The path of `name` inside it.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
