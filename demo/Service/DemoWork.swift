import DemoWorkloads
import GroupIsolation
import GroupMonitor
import SafeGroupLifecycle
import ServiceLifecycle
import Glibc

/// The demo's workloads as a `Service`, beside the monitor's in demo-service's `ServiceGroup`.
///
/// It waits for the monitor, then drives the workloads. On a graceful shutdown it starts no
/// more runs and lets those in flight finish for the drain timeout; then it cancels the rest,
/// whose groups say `graceful-shutdown`, as every attached viewer sees.
struct DemoWork: Service {
    let monitor: SafeGroupMonitorService
    let driver: DemoDriver
    let pool: WorkerPool?
    let duration: Double?
    let rate: Double
    let drainTimeout: Duration
    let trapInProcessAfter: Double?

    func run() async throws {
        guard let started = await monitor.started() else { return }  // the monitor's service says why
        defer { pool?.shutdown() }
        print("demo-service: serving events on \(started.socketPath)")
        print("demo-service: seed \(driver.seed), \(rate) children/s\(duration.map { ", for \($0) s" } ?? "")")
        // Scripts wait for the first line through a pipe, where stdout is block-buffered: flush it.
        fflush(nil)
        let trap = trapInProcessAfter.map(startTrap)
        defer { trap?.cancel() }
        let driver = self.driver
        let duration = self.duration
        // The driver is the drained group's one child: the runs it starts keep its cancellation
        // reason, so those cancelled at the deadline say graceful-shutdown.
        _ = await withGracefulSafeGroup(of: Void.self, name: "demo-service", drainTimeout: drainTimeout) { group in
            await group.spawn("schedule") {
                await withGracefulShutdownHandler {
                    await driver.run(for: duration.map { .seconds($0) })
                } onGracefulShutdown: {
                    DemoService.printError("demo-service: shutting down gracefully (runs in flight have \(drainTimeout) to finish)")
                    driver.stopStarting()
                }
            }
        }
    }

    /// Makes one running child trap in-process after `delay` seconds.
    private func startTrap(after delay: Double) -> Task<Void, Never> {
        Task { [control = driver.control] in
            print("demo-service: a child will trap in-process after \(delay) s (crash handler on)")
            fflush(nil)
            do { try await Task.sleep(for: .seconds(delay)) } catch { return }
            // Again until one traps: the child chosen may be cancelled (its group's policy, its
            // timeout) before its next await point, where it would carry the trap out.
            while !Task.isCancelled {
                if let target = control.injectTrap() {
                    DemoService.printError("demo-service: child \(target.task.map { "\($0) " } ?? "")'\(target.name)' will trap in-process")
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
