#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GroupEvents
import SafeGroup
import SystemCalls

/// What a worker's output says about its crash: the runtime's reason, the signal the
/// backtracer announced, and the backtracer's JSON report.
///
/// The Swift runtime writes `…: Fatal error: <reason>` before it traps (in debug builds, and
/// for `fatalError` and preconditions in all builds); the backtracer (`SWIFT_BACKTRACE`
/// with `format=json`) first writes `*** Signal N: Backtracing from 0x…`, then, once it has
/// symbolicated, one line of JSON with the crashed thread's frames.
struct CrashEvidence: Sendable {
    /// The reason after `Fatal error: `, if the runtime wrote one.
    private(set) var fatalReason: String?
    /// The signal the backtracer announced.
    private(set) var announcedSignal: Int32?
    /// The backtracer's report, once it arrived.
    private(set) var report: BacktraceReport?

    /// Whether the output shows the worker is crashing: the backtracer has announced itself or
    /// reported. A `Fatal error:` line alone does not count: a job may print one (user data in
    /// a log line); it only supplies the reason if the worker then dies.
    var isCrashing: Bool { announcedSignal != nil || report != nil }

    /// The longest reason kept from a `Fatal error:` line (it is the job's output, untrusted).
    static let maximumReasonBytes = 2_048

    /// Looks at one line (or the start of an unfinished line) of the worker's output; returns
    /// true when the line belongs to the crash (the report, or the backtracer's banner).
    @discardableResult
    mutating func observe(_ line: ArraySlice<UInt8>) -> Bool {
        if line.starts(with: Self.signalBanner) {
            var value: Int32 = 0
            var index = line.startIndex + Self.signalBanner.count
            while index < line.endIndex, line[index] >= 0x30, line[index] <= 0x39, value < 1000 {
                value = value * 10 + Int32(line[index] - 0x30)
                index += 1
            }
            if value > 0 { announcedSignal = value }
            return true
        }
        if line.first == UInt8(ascii: "{"), line.count > 20, contains(line, Self.reportMarker) {
            report = try? JSONDecoder().decode(BacktraceReport.self, from: Data(line))
            return report != nil
        }
        if let range = firstRange(of: Self.fatalMarker, in: line) {
            let text = line[range.upperBound...].prefix(Self.maximumReasonBytes)
            // A cut in the middle of a character decodes as U+FFFD: harmless.
            fatalReason = TextSanitizer.sanitize(String(decoding: text, as: UTF8.self))
        }
        return false
    }

    /// The crash of the job `job` on worker `pid`, which ended as `exit`.
    func crash(job: String, pid: Int32, exit: Posix.Exit?, tail: [String]) -> IsolatedJobCrash {
        var signal: Int32? = announcedSignal
        var exitStatus: Int32?
        switch exit {
        case .signalled(let number): signal = number
        case .exited(let status): if announcedSignal == nil { exitStatus = status }
        case nil: break
        }
        return IsolatedJobCrash(job: job, pid: pid, signal: signal, exitStatus: exitStatus,
                                reason: reason(signal: signal, exitStatus: exitStatus),
                                stack: report.map { StackExtraction.frames(of: $0) } ?? [], outputTail: tail)
    }

    private func reason(signal: Int32?, exitStatus: Int32?) -> String {
        if let fatalReason, !fatalReason.isEmpty { return fatalReason }
        if let failure = report?.runtimeFailure { return failure }
        if let report, let description = report.description, !description.isEmpty {
            if signal == 11, report.faultIsNextToStackPointer {
                return "stack overflow (\(description.lowercased()) next to the stack pointer)"
            }
            if signal == 4 {
                // An optimized build traps without a message; only the inline frames of full
                // symbolication name the check that failed.
                return "a Swift runtime trap (\(description.lowercased())) with no message: symbolicate=full names the failed check"
            }
            return description
        }
        if let signal {
            if signal == 9 { return "the worker was killed (SIGKILL)" }
            if signal == 11 { return "segmentation fault (SIGSEGV); no backtrace came (a stack overflow off the job thread?)" }
            return "the worker died of \(Posix.signalName(signal))"
        }
        return "the worker exited with status \(exitStatus ?? 0) while it ran the job"
    }

    private static let signalBanner = Array("*** Signal ".utf8)
    private static let reportMarker = Array(#""kind": "crashReport""#.utf8)
    private static let fatalMarker = Array("Fatal error: ".utf8)

    private func contains(_ line: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        firstRange(of: needle, in: line) != nil
    }

    private func firstRange(of needle: [UInt8], in line: ArraySlice<UInt8>) -> Range<Int>? {
        guard line.count >= needle.count else { return nil }
        var index = line.startIndex
        let last = line.endIndex - needle.count
        while index <= last {
            if line[index] == needle[0], line[index..<(index + needle.count)].elementsEqual(needle) {
                return index..<(index + needle.count)
            }
            index += 1
        }
        return nil
    }
}

/// The part of the backtracer's JSON crash report a fault needs.
struct BacktraceReport: Decodable, Sendable {
    struct Location: Decodable, Sendable {
        let file: String
        let line: Int
    }

    struct Frame: Decodable, Sendable {
        let kind: String
        let address: String?
        let symbol: String?
        let description: String?
        let image: String?
        let sourceLocation: Location?
        let inlined: Bool?
        let runtimeFailure: Bool?
        let thunk: Bool?
        let system: Bool?
        let count: Int?
    }

    struct Thread: Decodable, Sendable {
        let crashed: Bool?
        let registers: [String: String]?
        let frames: [Frame]
    }

    let description: String?
    let faultAddress: String?
    let threads: [Thread]

    var crashedThread: Thread? { threads.first { $0.crashed == true } ?? threads.first }

    /// The reason of a runtime failure frame (release builds trap without printing one).
    var runtimeFailure: String? {
        guard let frame = crashedThread?.frames.first(where: { $0.runtimeFailure == true }),
              var text = frame.description ?? frame.symbol else { return nil }
        text = StackExtraction.withoutOffset(text)
        let prefix = "Swift runtime failure: "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    /// Whether the faulting address is within 64 KiB of the stack pointer: what a stack
    /// overflow looks like.
    var faultIsNextToStackPointer: Bool {
        guard let fault = faultAddress.flatMap(Self.hex),
              let registers = crashedThread?.registers,
              let sp = (registers["rsp"] ?? registers["sp"]).flatMap(Self.hex) else { return false }
        let distance = fault > sp ? fault - sp : sp - fault
        return distance < 64 * 1024
    }

    private static func hex(_ text: String) -> UInt64? {
        UInt64(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
    }
}

/// Turns a report's frames into a fault's stack: the job's own frames, innermost first.
enum StackExtraction {
    /// Images whose frames are the runtime's machinery, not the job's code.
    private static let hiddenImages = ["libswiftCore.so", "libswift_Concurrency.so", "libc.so", "libdispatch.so",
                                       "libswiftDispatch.so", "ld-linux", "libpthread"]

    static func frames(of report: BacktraceReport) -> [StackFrame] {
        guard let thread = report.crashedThread else { return [] }
        var inner: [StackFrame] = []
        var outer: [StackFrame] = []
        var omitted: Int?
        for frame in thread.frames {
            if frame.kind.hasPrefix("omitted") {
                omitted = (omitted ?? 0) + (frame.count ?? 0)
                continue
            }
            guard frame.kind == "programCounter" || frame.kind == "returnAddress" || frame.kind == "asyncResumePoint" else { continue }
            if frame.runtimeFailure == true || frame.thunk == true || frame.system == true { continue }
            if let image = frame.image, hiddenImages.contains(where: { image.hasPrefix($0) }) { continue }
            if let symbol = frame.symbol, symbol.hasPrefix("$s14GroupIsolation") { continue }
            let converted = convert(frame)
            if converted.file == "<compiler-generated>" { continue }
            if omitted == nil { inner.append(converted) } else { outer.append(converted) }
        }
        let limit = CapturedStack.maximumFrames
        guard let omitted else { return Array(inner.prefix(limit)) }
        // A deep stack (a runaway recursion): the innermost frames, a marker, and the outermost
        // ones, which show how the recursion was entered.
        let keepOuter = min(outer.count, limit / 3)
        let keepInner = limit - 1 - keepOuter
        return Array(inner.prefix(keepInner)) + [StackFrame(symbol: "… \(omitted) frames omitted …")]
            + Array(outer.suffix(keepOuter))
    }

    /// `name + 123` without ` + 123`.
    static func withoutOffset(_ text: String) -> String {
        let utf8 = Array(text.utf8)
        var index = utf8.count
        while index > 0, utf8[index - 1] >= 0x30, utf8[index - 1] <= 0x39 { index -= 1 }
        guard index < utf8.count, index >= 3, utf8[(index - 3)..<index].elementsEqual(" + ".utf8) else { return text }
        return String(decoding: utf8[..<(index - 3)], as: UTF8.self)
    }

    private static func convert(_ frame: BacktraceReport.Frame) -> StackFrame {
        guard let raw = frame.description ?? frame.symbol else {
            return StackFrame(symbol: frame.address ?? "?")
        }
        let name = withoutOffset(raw)
        guard let location = frame.sourceLocation else { return StackFrame(symbol: name) }
        return StackFrame(symbol: name, file: location.file, line: UInt32(clamping: location.line))
    }
}
