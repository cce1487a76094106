import GroupEvents

/// libFuzzer harness: `dump`'s text formatter on every record the decoder makes of the input.
/// Nothing may trap, and no line it writes may hold a character a terminal would act on.
@_cdecl("LLVMFuzzerTestOneInput")
public func formatterFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var decoder = WireDecoder()
    try? decoder.feed(UnsafeRawBufferPointer(start: data, count: size))
    try? decoder.finish()
    var formatter = EventFormatter()
    while let record = decoder.next() {
        var lines: [String] = []
        switch record {
        case .header(let header):
            formatter.startSession()
            lines = [header.summary]
        case .event(let seq, let event):
            lines = formatter.lines(seq: seq, event)
        case .diagnostic:
            continue
        }
        for line in lines where line.unicodeScalars.contains(where: TextSanitizer.needsEscape) {
            fatalError("unsanitized output: \(line.unicodeScalars.map(\.value))")
        }
    }
    return 0
}
