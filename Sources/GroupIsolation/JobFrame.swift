import GroupEvents

/// One message on the job channel between a supervisor and its worker.
///
/// A frame is a 4-byte little-endian length (of what follows), a 1-byte kind and the body.
/// Strings are a 4-byte length and UTF-8 bytes. The channel is the worker's fds 3 (jobs in, a
/// socket) and 4 (replies out, a pipe), so nothing the worker prints can get into it.
enum JobFrame: Equatable, Sendable {
    /// The worker is up: the channel's version, its pid and the jobs it knows.
    case ready(version: UInt32, pid: Int32, jobs: [String])
    /// Run job `name` on `input` (its `Input`, encoded), under the child's propagated
    /// `context` (a tracer's carrier entries, such as a W3C `traceparent`; empty for none).
    case request(name: String, context: [String: String] = [:], input: [UInt8])
    /// The job returned `output` (its `Output`, encoded).
    case returned(output: [UInt8])
    /// The job threw: the error's type, description, and its creation stack when it carried one.
    case threw(type: String, message: String, stack: [StackFrame])
    /// The worker has no job of that name.
    case unknownJob(name: String)

    /// The version a ready frame carries; a supervisor refuses a worker of another one.
    /// 2: a request carries the child's propagated context.
    static let version: UInt32 = 2
    /// The largest frame either side accepts (64 MiB): a larger length means a broken channel.
    static let maximumLength = 64 << 20

    private enum Kind: UInt8 {
        case ready = 1, request, returned, threw, unknownJob
    }

    /// The frame's bytes, length prefix included.
    func encoded() -> [UInt8] {
        var w = FrameWriter()
        switch self {
        case .ready(let version, let pid, let jobs):
            w.byte(Kind.ready.rawValue)
            w.u32(version)
            w.u32(UInt32(bitPattern: pid))
            w.u32(UInt32(jobs.count))
            for job in jobs { w.string(job) }
        case .request(let name, let context, let input):
            w.byte(Kind.request.rawValue)
            w.string(name)
            w.u32(UInt32(context.count))
            for (key, value) in context {
                w.string(key)
                w.string(value)
            }
            w.bytes.append(contentsOf: input)
        case .returned(let output):
            w.byte(Kind.returned.rawValue)
            w.bytes.append(contentsOf: output)
        case .threw(let type, let message, let stack):
            w.byte(Kind.threw.rawValue)
            w.string(type)
            w.string(message)
            w.u32(UInt32(stack.count))
            for frame in stack {
                w.string(frame.symbol)
                w.string(frame.file ?? "")
                w.u32(frame.line)
            }
        case .unknownJob(let name):
            w.byte(Kind.unknownJob.rawValue)
            w.string(name)
        }
        return w.finished()
    }

    /// Decodes a frame's body (the bytes after the length prefix).
    static func decode(body: ArraySlice<UInt8>) throws(JobFrameError) -> JobFrame {
        var r = FrameReader(bytes: body)
        guard let kind = Kind(rawValue: try r.byte()) else { throw JobFrameError("unknown frame kind \(body.first ?? 0)") }
        switch kind {
        case .ready:
            let version = try r.u32()
            let pid = Int32(bitPattern: try r.u32())
            let count = try r.u32()
            guard count <= 100_000 else { throw JobFrameError("a ready frame with \(count) jobs") }
            var jobs: [String] = []
            for _ in 0..<count { jobs.append(try r.string()) }
            return .ready(version: version, pid: pid, jobs: jobs)
        case .request:
            let name = try r.string()
            let count = try r.u32()
            guard count <= 64 else { throw JobFrameError("a request with \(count) context entries") }
            var context: [String: String] = [:]
            for _ in 0..<count {
                let key = try r.string()
                context[key] = try r.string()
            }
            return .request(name: name, context: context, input: Array(r.rest()))
        case .returned:
            return .returned(output: Array(r.rest()))
        case .threw:
            let type = try r.string()
            let message = try r.string()
            let count = try r.u32()
            guard count <= 1_000 else { throw JobFrameError("an error frame with \(count) stack frames") }
            var stack: [StackFrame] = []
            for _ in 0..<count {
                let symbol = try r.string()
                let file = try r.string()
                stack.append(StackFrame(symbol: symbol, file: file.isEmpty ? nil : file, line: try r.u32()))
            }
            return .threw(type: type, message: message, stack: stack)
        case .unknownJob:
            return .unknownJob(name: try r.string())
        }
    }

    /// Splits the complete frames off the front of `buffer`; returns their bodies' ranges
    /// and how many bytes they took. A length over ``maximumLength`` is an error.
    static func split(_ buffer: [UInt8]) throws(JobFrameError) -> (frames: [Range<Int>], consumed: Int) {
        var frames: [Range<Int>] = []
        var offset = 0
        while buffer.count - offset >= 4 {
            let length = Int(UInt32(buffer[offset]) | UInt32(buffer[offset + 1]) << 8
                             | UInt32(buffer[offset + 2]) << 16 | UInt32(buffer[offset + 3]) << 24)
            guard length >= 1, length <= maximumLength else { throw JobFrameError("a frame of \(length) bytes") }
            guard buffer.count - offset - 4 >= length else { break }
            frames.append((offset + 4)..<(offset + 4 + length))
            offset += 4 + length
        }
        return (frames, offset)
    }
}

/// The job channel carried something that is not a frame.
struct JobFrameError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "malformed job channel: " + description }
}

private struct FrameWriter {
    var bytes: [UInt8] = [0, 0, 0, 0]

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    consuming func finished() -> [UInt8] {
        let length = UInt32(bytes.count - 4)
        bytes[0] = UInt8(truncatingIfNeeded: length)
        bytes[1] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[3] = UInt8(truncatingIfNeeded: length >> 24)
        return bytes
    }
}

private struct FrameReader {
    let bytes: ArraySlice<UInt8>
    var offset: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    mutating func byte() throws(JobFrameError) -> UInt8 {
        guard offset < bytes.endIndex else { throw JobFrameError("a frame ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws(JobFrameError) -> UInt32 {
        guard bytes.endIndex - offset >= 4 else { throw JobFrameError("a frame ends early") }
        defer { offset += 4 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    mutating func string() throws(JobFrameError) -> String {
        let count = Int(try u32())
        guard bytes.endIndex - offset >= count else { throw JobFrameError("a string runs past its frame") }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { offset = bytes.endIndex }
        return bytes[offset...]
    }
}
