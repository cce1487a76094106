import GroupEvents
import Glibc
import SystemCalls

/// What a pool does with the lines its workers print on stdout and stderr.
///
/// Either way the job channel is untouched (it has descriptors of its own), the crash
/// messages are read for faults, and the last lines are kept for a crash's diagnosis.
public enum WorkerOutputHandling: Sendable {
    /// Keep only a bounded tail per worker (``WorkerPool/Configuration/outputTailLines`` lines).
    /// Right for a terminal program, whose screen a worker must not write on.
    case keepTail
    /// Also copy each line to this process's standard error as `worker <pid>: <line>`, with
    /// control characters replaced. Right for a service that logs its stderr. The backtracer's
    /// JSON report is not copied (it becomes the fault's stack).
    case forwardToStandardError
}

/// Splits one worker's output into lines: feeds them to its ``CrashEvidence``, keeps a tail,
/// and forwards them when asked. Owned by the supervisor's thread.
struct WorkerOutputCollector {
    private(set) var evidence = CrashEvidence()
    private(set) var tail: [String] = []
    private var partial: [UInt8] = []
    private var partialChecked = false
    private var discardingLongLine = false
    let pid: Int32
    let tailLines: Int
    let forward: Bool
    /// Where forwarded lines go: standard error (a test passes a pipe of its own).
    let forwardFD: Int32

    /// The longest line kept whole: a backtracer report is one line of JSON that can be long.
    static let maximumLine = 4 << 20
    /// The longest line kept in the tail.
    static let maximumTailLine = 512

    init(pid: Int32, tailLines: Int, forward: Bool, forwardFD: Int32 = 2) {
        self.pid = pid
        self.tailLines = tailLines
        self.forward = forward
        self.forwardFD = forwardFD
    }

    /// Takes bytes the worker wrote; returns true when they show that it is crashing.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
            absorb(bytes[start..<index])
            finishLine()
            start = index + 1
        }
        if start < bytes.count { absorb(bytes[start..<bytes.count]) }
        // The backtracer's banner stays unfinished while it symbolicates: look at it now.
        if !partialChecked, partial.count >= 11 {
            partialChecked = true
            if partial.starts(with: Array("*** Signal ".utf8)) { evidence.observe(partial[...]) }
        }
        return evidence.isCrashing
    }

    /// The worker's output ended: an unfinished last line counts.
    mutating func finish() {
        if !partial.isEmpty { finishLine() }
    }

    private mutating func absorb(_ bytes: Slice<UnsafeRawBufferPointer>) {
        guard !discardingLongLine else { return }
        if partial.count + bytes.count > Self.maximumLine {
            discardingLongLine = true
            partial.removeAll()
            return
        }
        partial.append(contentsOf: bytes)
    }

    private mutating func finishLine() {
        defer {
            partial.removeAll(keepingCapacity: partial.count < 4096)
            partialChecked = false
            discardingLongLine = false
        }
        guard !discardingLongLine else { return }
        if evidence.observe(partial[...]) { return }
        if partial.isEmpty { return }
        let text = Self.sanitized(partial.prefix(Self.maximumTailLine))
        tail.append(text)
        if tail.count > tailLines { tail.removeFirst(tail.count - tailLines) }
        if forward { forwardLine() }
    }

    /// Lines not forwarded because standard error was not writable.
    private(set) var droppedLines = 0

    /// The longest line forwarded (longer ones are cut): one pipe write that cannot block.
    static let maximumForwardedLine = 4_000

    /// Copies the current line to standard error, best effort: on the pool's thread, a stalled
    /// standard error must not stall every job, so a line that cannot be written at once is
    /// dropped and counted (the count is written with the next line that goes through).
    private mutating func forwardLine() {
        var text = "worker \(pid): "
        if droppedLines > 0 { text += "(\(droppedLines) lines dropped: standard error was not writable) " }
        let body = partial.prefix(Self.maximumForwardedLine)
        text += Self.sanitized(body)
        if body.count < partial.count { text += " …(\(partial.count - body.count) bytes cut)" }
        var line = Array(text.utf8.prefix(4_095))
        line.append(UInt8(ascii: "\n"))
        if Posix.writeIfReady(forwardFD, line) {
            droppedLines = 0
        } else {
            droppedLines += 1
        }
    }

    /// The line as text with every code point a terminal would act on (controls, escape
    /// sequences, bidi controls, line separators: ``TextSanitizer/needsEscape(_:)``) shown as
    /// `?`, tabs kept.
    static func sanitized(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            result.unicodeScalars.append(scalar != "\t" && TextSanitizer.needsEscape(scalar) ? "?" : scalar)
        }
        return result
    }
}
