// Benchmarks for SafeGroup. Each prints ratios measured side by side in one run.
// Run: swift run -c release --package-path Benchmarks safegroup-bench [group|codec|dashboard|crash|all]

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

let which = CommandLine.arguments.dropFirst().first ?? "all"
let known = ["group", "codec", "dashboard", "crash", "all"]
guard known.contains(which) else {
    print("usage: safegroup-bench [\(known.joined(separator: "|"))]")
    exit(2)
}
if which == "group" || which == "all" { await GroupBenchmark.run() }
if which == "codec" || which == "all" { CodecBenchmark.run() }
if which == "dashboard" || which == "all" { DashboardBenchmark.run() }
// Last: it installs the crash handler, which stays for the process's life.
if which == "crash" || which == "all" { await CrashTrackingBenchmark.run() }
