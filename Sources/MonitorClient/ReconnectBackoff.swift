/// How long a client waits before each new attempt to reach a service: exponential, capped
/// and jittered.
///
/// The delay before attempt `n` (0 for the first retry) is `initial × multiplierⁿ`, capped at
/// ``maximum``, then spread by ±``jitter`` of itself and capped again. The jitter keeps many
/// viewers of one restarted service from reconnecting in lockstep; the cap keeps a viewer
/// from waiting long once the service is back.
public struct ReconnectBackoff: Hashable, Sendable {
    /// The delay before the first retry, before jitter. Default 100 ms.
    public var initial: Duration
    /// No delay is longer than this, jitter included. Default 5 s.
    public var maximum: Duration
    /// Each retry waits this many times longer than the one before. Default 2.
    public var multiplier: Double
    /// The spread, as a fraction of the delay: 0.2 means ±20 %. Clamped to 0...1. Default 0.2.
    public var jitter: Double

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5),
                multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay before retry number `attempt` (0-based), with `unit` (in `0..<1`) choosing
    /// where in the jitter range it falls: 0 is the shortest, 0.5 the middle.
    public func delay(attempt: Int, unit: Double) -> Duration {
        let initialSeconds = Self.seconds(initial)
        let maximumSeconds = max(0, Self.seconds(maximum))
        // Grow step by step and stop at the cap, so a huge attempt number never overflows.
        var base = max(0, initialSeconds)
        var step = 0
        while step < attempt, base < maximumSeconds {
            base *= max(1, multiplier)
            step += 1
        }
        base = min(base, maximumSeconds)
        let spread = min(max(jitter, 0), 1)
        let factor = 1 - spread + 2 * spread * min(max(unit, 0), 1)
        let seconds = min(base * factor, maximumSeconds)
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// The delay before retry number `attempt` (0-based), jittered with `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        delay(attempt: attempt, unit: Double.random(in: 0..<1, using: &generator))
    }

    /// The delay before retry number `attempt` (0-based), jittered with the system generator.
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
