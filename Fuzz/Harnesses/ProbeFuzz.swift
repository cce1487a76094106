import GroupEvents

/// libFuzzer harness: what `safegroup list` makes of a live service's first header and first
/// heartbeat, decoded from the input as the client decodes a socket's bytes. Nothing may trap,
/// and the JSON it prints holds no raw control character.
@_cdecl("LLVMFuzzerTestOneInput")
public func probeFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var decoder = WireDecoder()
    try? decoder.feed(UnsafeRawBufferPointer(start: data, count: size))
    try? decoder.finish()
    var header: WireHeader?
    var heartbeat: Heartbeat?
    while let record = decoder.next(), heartbeat == nil {
        switch record {
        case .header(let h): header = h
        case .event(_, let event): if case .heartbeat(let beat) = event.kind, header != nil { heartbeat = beat }
        case .diagnostic: break
        }
    }
    var probe = ServiceProbe(path: "/run/user/1000/safegroup/fuzz-1.sock", service: "fuzz", pid: 1, viewers: nil, live: true, note: nil)
    probe.read(header: header, heartbeat: heartbeat)
    let json = probe.json + probe.stateText
    if json.unicodeScalars.contains(where: { $0.value < 0x20 }) { fatalError("raw control in list's JSON: \(json)") }
    return 0
}
