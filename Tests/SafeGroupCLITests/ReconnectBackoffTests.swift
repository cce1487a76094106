import MonitorClient
import Testing
import TestSupport

/// ReconnectBackoff: exponential from `initial`, capped at `maximum` (jitter included), spread by ±jitter.
@Suite struct ReconnectBackoffTests {
    let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(5), multiplier: 2, jitter: 0.2)

    @Test func theMiddleOfTheJitterRangeDoublesEachAttemptUntilTheCap() {
        let delays = (0..<9).map { backoff.delay(attempt: $0, unit: 0.5) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                           .milliseconds(1600), .milliseconds(3200), .seconds(5), .seconds(5), .seconds(5)])
    }

    @Test func noDelayExceedsTheMaximumWhateverTheAttemptAndJitter() {
        for attempt in [0, 1, 5, 6, 7, 20, 63, 64, 1000, Int.max] {
            for unit in [0.0, 0.25, 0.5, 0.75, 0.999_999] {
                #expect(backoff.delay(attempt: attempt, unit: unit) <= .seconds(5), "attempt \(attempt) unit \(unit)")
            }
        }
    }

    @Test func jitterSpreadsADelayByTheConfiguredFraction() {
        #expect(backoff.delay(attempt: 3, unit: 0) == .milliseconds(640))
        #expect(backoff.delay(attempt: 3, unit: 1) == .milliseconds(960))
        // At the cap, jitter can only shorten.
        #expect(backoff.delay(attempt: 30, unit: 0) == .seconds(4))
        #expect(backoff.delay(attempt: 30, unit: 1) == .seconds(5))
    }

    @Test func randomDelaysVaryAndStayInTheJitterRange() {
        var generator = SplitMix64(seed: 42)
        let delays = (0..<200).map { _ in backoff.delay(attempt: 2, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .milliseconds(320) && $0 <= .milliseconds(480) })
        #expect(Set(delays).count > 100, "the jitter should spread the delays, got \(Set(delays).count) distinct")
    }

    @Test func noJitterGivesExactDelays() {
        let plain = ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(300), multiplier: 3, jitter: 0)
        var generator = SplitMix64(seed: 7)
        #expect((0..<4).map { plain.delay(attempt: $0, using: &generator) }
                == [.milliseconds(50), .milliseconds(150), .milliseconds(300), .milliseconds(300)])
    }

    @Test func aDisconnectionSaysWhatHappenedAndWhenTheNextTryIs() {
        let lost = Disconnection(path: "/run/x.sock", reason: "connection reset", wasAttached: true, retryIn: .milliseconds(1600))
        #expect(lost.description == "connection to /run/x.sock lost: connection reset; reconnecting in 1.6 s")
        let failed = Disconnection(path: "/run/x.sock", reason: "no such socket", wasAttached: false, retryIn: .milliseconds(50))
        #expect(failed.description == "cannot attach to /run/x.sock: no such socket; retrying in 50 ms")
        let final = Disconnection(path: "/run/x.sock", reason: "the service closed the connection", wasAttached: true, retryIn: nil)
        #expect(final.description == "connection to /run/x.sock lost: the service closed the connection")
    }
}
