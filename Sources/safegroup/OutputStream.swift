import Glibc
import SystemCalls

/// A buffered writer of whole lines to a file descriptor.
///
/// Lines are appended to a buffer and written when it is large or when the caller flushes,
/// so a file ends with a whole line whenever the writer stops: no torn line, even on SIGINT.
struct OutputStream {
    let fd: Int32
    /// Named in write errors.
    let name: String
    private(set) var buffer: [UInt8] = []
    /// Bytes written so far.
    private(set) var written: UInt64 = 0

    /// The buffered bytes beyond which ``appendLine(_:)`` writes them out.
    static let flushThreshold = 256 * 1024

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
        buffer.reserveCapacity(Self.flushThreshold + 4096)
    }

    static var standardOutput: OutputStream { OutputStream(fd: STDOUT_FILENO, name: "standard output") }

    /// Appends `text` and a newline.
    mutating func appendLine(_ text: String) throws(PosixError) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// A buffer the caller appends whole lines to directly (for the encoder).
    mutating func withBuffer(_ body: (inout [UInt8]) -> Void) throws(PosixError) {
        body(&buffer)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Writes everything buffered.
    mutating func flush() throws(PosixError) {
        guard !buffer.isEmpty else { return }
        let fd = self.fd, name = self.name
        let result = buffer.withUnsafeBytes { bytes in
            Result { () throws(PosixError) in try Posix.writeAll(fd, bytes, subject: name) }
        }
        try result.get()
        written += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }
}
