import GroupEvents

/// libFuzzer harness: the NDJSON line decoder, fed the input in two pieces split where its
/// first byte says, so that lines torn across reads are decoded too. Every record it hands
/// over is encoded again; that must not trap either.
@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = bytes.first else { return 0 }
    let split = min(bytes.count, 1 + Int(first) * bytes.count / 256)
    // A small line cap, so over-long lines (skipped without buffering) are reached too.
    var decoder = WireDecoder(maxLineLength: first & 1 == 0 ? WireFormat.defaultMaxLineLength : 512)
    let encoder = WireEncoder()
    var output: [UInt8] = []
    func drain() {
        while let record = decoder.next() {
            output.removeAll(keepingCapacity: true)
            switch record {
            case .header(let header): encoder.encodeHeader(header, into: &output)
            case .event(let seq, let event): encoder.encode(event, seq: seq, into: &output)
            case .diagnostic(let diagnostic): _ = diagnostic.description
            }
        }
    }
    do {
        try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[1..<max(1, split)]))
        drain()
        try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[max(1, split)...]))
        drain()
        try decoder.finish()
        drain()
    } catch {
        drain()
    }
    return 0
}
