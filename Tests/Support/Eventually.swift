/// Waits until `condition` holds or `limit` passes; returns whether it held. Never asserts a time.
///
/// It checks at once, then after pauses that grow from 1 ms to 5 ms, the shortest of the copies
/// it replaces: the demo's tests act on children whose timeouts are a few hundred milliseconds,
/// so what they wait for must be seen soon. A slow machine only makes it wait longer, up to
/// `limit`, which bounds a broken test and is never a timing a test relies on.
@discardableResult
public func eventually(within limit: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + limit
    var pause = Duration.milliseconds(1)
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(5))
    }
    return condition()
}
