/// Waits until `condition` holds or `limit` passes; returns whether it held. Never asserts a time.
///
/// It checks at once, then after pauses that grow from 1 ms to 20 ms: a condition that holds
/// soon is seen soon, and a slow machine only makes it wait longer, up to `limit`, which is a
/// bound for a broken test, not a timing the test relies on.
@discardableResult
public func eventually(within limit: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + limit
    var pause = Duration.milliseconds(1)
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(20))
    }
    return condition()
}
