/// The constants of the event wire format: its name, version and size caps.
///
/// The format is newline-delimited JSON: a ``WireHeader`` line, then one event a line.
/// `docs/PROTOCOL.md` is the specification; ``WireEncoder`` writes it and ``WireDecoder``
/// reads it.
public enum WireFormat {
    /// The `format` field of every header: what tells a safegroup stream from any other JSON.
    public static let name = "safegroup-events"

    /// The version this build writes, and the major version it reads.
    public static let version = WireVersion(major: 1, minor: 5)

    /// The longest line a reader accepts by default, in bytes, without its newline.
    ///
    /// The encoder caps every string so that no line it writes comes near this length.
    public static let defaultMaxLineLength = 1 << 20

    /// The most frames a fault's stack carries; the encoder writes the innermost ones.
    public static let maxStackFrames = 32

    /// The most UTF-8 bytes the encoder writes of a fault's message.
    public static let maxMessageBytes = 16 * 1024

    /// The most UTF-8 bytes the encoder writes of any other string (names, types, files, symbols).
    ///
    /// With the message cap and the stack cap, this bounds a line at under 1 MiB even when every
    /// byte of every string needs a six-byte `\u00XX` escape.
    public static let maxTextBytes = 2 * 1024

    /// The clock name of ``MonotonicTime``: nanoseconds on `ContinuousClock` since the epoch.
    public static let monotonicClock = "monotonic-ns"
}
