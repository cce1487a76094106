// Benchmarks for SafeGroup. Each prints ratios measured side by side in one run.
// Run: swift run -c release --package-path Benchmarks safegroup-bench [group|throws|codec|dashboard|isolation|crash|monitor|tracing|all]
import GroupIsolation

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// The isolation benchmark's workers are this binary: they serve its jobs and exit here.
await IsolatedWorker.serveIfWorker(benchmarkJobs)

let which = CommandLine.arguments.dropFirst().first ?? "all"
let known = ["group", "throws", "codec", "dashboard", "isolation", "crash", "monitor", "tracing", "all"]
guard known.contains(which) else {
    print("usage: safegroup-bench [\(known.joined(separator: "|"))]")
    exit(2)
}
if which == "group" || which == "all" { await GroupBenchmark.run() }
if which == "throws" || which == "all" { await ThrowBenchmark.run() }
if which == "codec" || which == "all" { CodecBenchmark.run() }
if which == "dashboard" || which == "all" { DashboardBenchmark.run() }
if which == "isolation" || which == "all" { await IsolationBenchmark.run() }
if which == "monitor" || which == "all" { await MonitorBenchmark.run() }
if which == "tracing" || which == "all" { await TracingBenchmark.run() }
// Last: it installs the crash handler, which stays for the process's life.
if which == "crash" || which == "all" { await CrashTrackingBenchmark.run() }
