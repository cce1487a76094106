import Foundation
import GroupIsolation
import SafeGroup
import Synchronization

/// The small job both sides run: add two numbers, with a label to carry a string.
struct SmallInput: Codable, Sendable {
    var a: Int
    var b: Int
    var label: String
}

enum SmallJob: IsolatedJob {
    static let name = "bench-small"
    @inline(never)
    static func run(_ input: SmallInput) async throws -> Int { input.a &+ input.b &+ input.label.utf8.count }
}

/// Traps with a nil unwrap (or a `fatalError`), for the cost of a crash.
enum CrashJob: IsolatedJob {
    static let name = "bench-crash"
    static func run(_ input: String) async throws -> Int {
        if input == "fatalError" { fatalError("the benchmark's job gave up") }
        let value: Int? = input.count > 1_000 ? 1 : nil
        return value!
    }
}

/// The bench binary is its own worker: main.swift serves these first thing.
let benchmarkJobs = IsolatedJobRegistry(SmallJob.self, CrashJob.self)

/// An isolated child against an in-process child for a small job, and what a crash costs:
/// the time from submitting a job that traps to its fault, and to a ready replacement worker.
enum IsolationBenchmark {
    static let sequentialJobs = 2_000
    static let rounds = 7
    static let crashes = 15

    static func run() async {
        print("== isolation: small job (\(sequentialJobs) one after the other, median of \(rounds) rounds), warm pool of 2 workers (this binary)")
        let pool: WorkerPool
        do {
            pool = try WorkerPool(size: 2)
        } catch {
            print("cannot start the pool: \(error)")
            return
        }
        let input = SmallInput(a: 40, b: 2, label: "small")
        // Warm up: both workers ready, the code paths hot.
        for _ in 0..<200 { _ = try? await pool.run(SmallJob.self, input) }

        var inProcess: [Double] = [], isolated: [Double] = [], raw: [Double] = [], codec: [Double] = [], json: [Double] = []
        for _ in 0..<rounds {
            inProcess.append(await perJob { _ = await withSafeGroup(of: Int.self, name: "bench") { group in
                await group.spawn("small") { try await SmallJob.run(input) }
            } })
            isolated.append(await perJob { _ = await withSafeGroup(of: Int.self, name: "bench") { group in
                await group.spawnIsolated("small", on: pool, job: SmallJob.self, input: input)
            } })
            raw.append(await perJob { _ = try? await pool.run(SmallJob.self, input) })
            codec.append(await perJob { codecRoundTrip(input) })
            json.append(await perJob { jsonRoundTrip(input) })
        }
        let inProcessMedian = median(inProcess), isolatedMedian = median(isolated)
        print("  in-process child (withSafeGroup + spawn)          \(format(inProcessMedian)) µs/job")
        print("  isolated child (withSafeGroup + spawnIsolated)    \(format(isolatedMedian)) µs/job   \(format(isolatedMedian / inProcessMedian, digits: 0))x the in-process child")
        print("  pool.run alone (round trip through a worker)      \(format(median(raw))) µs/job")
        print("  of which coding (input and output, both ways)     \(format(median(codec))) µs/job   (JSON would take \(format(median(json))) µs)")

        // Throughput: many children at once keep both workers busy.
        let clock = ContinuousClock()
        var parallel: [Double] = []
        for _ in 0..<rounds {
            let elapsed = await clock.measure {
                _ = await withSafeGroup(of: Int.self, name: "bench", limit: 8) { group in
                    for _ in 0..<1_000 { await group.spawnIsolated(on: pool, job: SmallJob.self, input: input) }
                }
            }
            parallel.append(microseconds(elapsed) / 1_000)
        }
        print("  1,000 isolated children in one group (limit 8)    \(format(median(parallel))) µs/job (2 workers on 2 cores)")
        pool.shutdown()

        for symbolication in [WorkerPool.Symbolication.full, .fast] {
            await measureCrashes(symbolication: symbolication)
        }
    }

    /// Crashes `crashes` jobs on a pool of one worker; prints the time to the fault and to a
    /// ready replacement, from the job's submission.
    static func measureCrashes(symbolication: WorkerPool.Symbolication) async {
        let log = EventTimes()
        let pool: WorkerPool
        do {
            pool = try WorkerPool(.init(size: 1, symbolication: symbolication, onEvent: { log.record($0) }))
        } catch {
            print("cannot start the pool: \(error)")
            return
        }
        defer { pool.shutdown() }
        let input = SmallInput(a: 1, b: 2, label: "warm")
        var toDetection: [Double] = [], toFault: [Double] = [], toReady: [Double] = [], startups: [Double] = []
        var reason = ""
        for _ in 0..<crashes {
            _ = try? await pool.run(SmallJob.self, input)  // a warm, ready worker
            let start = ContinuousClock.now
            log.reset(from: start)
            do {
                _ = try await pool.run(CrashJob.self, "nil")
            } catch let crash as IsolatedJobCrash {
                toFault.append(microseconds(ContinuousClock.now - start) / 1_000)
                reason = crash.reason
            } catch {
                print("unexpected: \(error)")
            }
            // The replacement was started when the crash showed; wait until it is ready.
            while log.replacementReady == nil { try? await Task.sleep(for: .milliseconds(1)) }
            if let detected = log.crashDetected { toDetection.append(microseconds(detected - start) / 1_000) }
            if let ready = log.replacementReady {
                toReady.append(microseconds(ready - start) / 1_000)
                if let started = log.replacementStarted { startups.append(microseconds(ready - started) / 1_000) }
            }
        }
        print("== isolation: a job that traps (nil unwrap), \(crashes) crashes, symbolicate=\(symbolication.rawValue); from the job's submission, median / p90 in ms")
        print("  crash seen (runtime's or backtracer's first line)  \(format(median(toDetection))) / \(format(p90(toDetection)))")
        print("  replacement worker ready                           \(format(median(toReady))) / \(format(p90(toReady)))   (its start alone: \(format(median(startups))) ms)")
        print("  crash fault with the worker's stack                \(format(median(toFault))) / \(format(p90(toFault)))")
        print("  reason: \(reason)")
    }

    /// The times of a pool's events since a start, for one crash.
    final class EventTimes: Sendable {
        private struct State {
            var start: ContinuousClock.Instant?
            var crashDetected: ContinuousClock.Instant?
            var replacementPID: Int32?
            var replacementStarted: ContinuousClock.Instant?
            var replacementReady: ContinuousClock.Instant?
        }
        private let state = Mutex(State())

        func reset(from start: ContinuousClock.Instant) { state.withLock { $0 = State(start: start) } }

        func record(_ event: WorkerPoolEvent) {
            let now = ContinuousClock.now
            state.withLock { state in
                guard state.start != nil else { return }
                switch event {
                case .crashing: if state.crashDetected == nil { state.crashDetected = now }
                case .started(let pid):
                    if state.replacementPID == nil { state.replacementPID = pid; state.replacementStarted = now }
                case .ready(let pid): if pid == state.replacementPID { state.replacementReady = now }
                case .exited: break
                }
            }
        }

        var crashDetected: ContinuousClock.Instant? { state.withLock { $0.crashDetected } }
        var replacementStarted: ContinuousClock.Instant? { state.withLock { $0.replacementStarted } }
        var replacementReady: ContinuousClock.Instant? { state.withLock { $0.replacementReady } }
    }

    @inline(never)
    static func codecRoundTrip(_ input: SmallInput) {
        // What a job's data costs on the channel: input encoded and decoded, output the same.
        let bytes = try! IsolatedJobCoding.encode(input)
        let decoded = try! IsolatedJobCoding.decode(SmallInput.self, from: bytes)
        let output = try! IsolatedJobCoding.encode(decoded.a + decoded.b)
        _ = try! IsolatedJobCoding.decode(Int.self, from: output)
    }

    @inline(never)
    static func jsonRoundTrip(_ input: SmallInput) {
        // The same with JSONEncoder and JSONDecoder (new for each value), for comparison.
        let bytes = try! JSONEncoder().encode(input)
        let decoded = try! JSONDecoder().decode(SmallInput.self, from: bytes)
        let output = try! JSONEncoder().encode(decoded.a + decoded.b)
        _ = try! JSONDecoder().decode(Int.self, from: output)
    }

    static func perJob(_ body: () async -> Void) async -> Double {
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            for _ in 0..<sequentialJobs { await body() }
        }
        return microseconds(elapsed) / Double(sequentialJobs)
    }

    static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    static func p90(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)]
    }

    static func format(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return digits == 0 ? "\(Int(rounded))" : "\(rounded)"
    }
}
