import Dashboard
import GroupEvents

/// libFuzzer harness: the dashboard's reducer fed the records the decoder makes of the input
/// (a sequence of events, sessions and diagnostics), with ticks, replay positions and keys
/// between them, and every frame rendered at a few sizes. Nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func reducerFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var decoder = WireDecoder()
    try? decoder.feed(bytes)
    try? decoder.finish()
    let mode: DashboardMode = size % 3 == 0 ? .live : size % 3 == 1 ? .replay : .demo
    // Small bounds, so that eviction (of tasks, groups, faults, history) is reached by short inputs.
    let limits = DashboardLimits(maxTasks: 8, maxGroups: 4, maxFaults: 4, historySize: 4, lingerNanoseconds: 1_000)
    var state = DashboardState(mode: mode, size: TerminalSize(columns: 100, rows: 30), limits: limits)
    var first: MonotonicTime?
    var latest = MonotonicTime(nanoseconds: 0)
    var count = 0
    var viewer: UInt64 = 0
    while let record = decoder.next() {
        count += 1
        if case .event(_, let event) = record {
            if first == nil { first = event.time }
            latest = max(latest, event.time)
            // The viewer's clock runs on by the stream's own steps, whatever they are.
            viewer = viewer &+ (event.time.rawValue & 0xFFFF_FFFF)
        }
        _ = state.update(count % 2 == 0 ? .record(record) : .records([record]))
        if count % 5 == 0 { _ = state.update(.tick(viewerNanoseconds: viewer)) }
        if mode == .replay, count % 7 == 0, let first {
            _ = state.update(.replayPosition(ReplayPosition(time: latest, start: first, end: latest)))
        }
        if count % 16 == 0 { _ = render(state, size: TerminalSize(columns: 80, rows: 24)) }
    }
    _ = state.update(.decoderCounters(decoder.counters))
    _ = state.update(.connection(.ended))
    _ = state.update(.tick(viewerNanoseconds: viewer &+ 5_000_000_000))
    for size in [TerminalSize(columns: 120, rows: 30), TerminalSize(columns: 3, rows: 2)] {
        _ = state.update(.resize(size))
        _ = render(state, size: size)
    }
    let keys: [Key] = [.down, .down, .enter, .tab, .down, .end, .pageUp, .character("s"), .character("s"),
                       .character("f"), .character("/"), .character("a"), .enter, .character("?"), .escape, .home]
    for (index, key) in keys.enumerated() {
        _ = state.update(.key(key))
        if index % 4 == 3 { _ = render(state, size: TerminalSize(columns: 100, rows: 30)) }
    }
    return 0
}
