#!/usr/bin/env bash
# Builds the fuzzers and runs each for SECONDS (default 25), from the seed corpus in
# Fuzz/Corpus (real recordings and the cases of issue 12). Exits non-zero when one of them finds
# a crash; its input is left in .build-fuzz/crashes/ (turn it into a regression test).
#
#   Fuzz/run.sh            # the short run CI does: 25 s each
#   Fuzz/run.sh 600        # the long run: 10 minutes each
#   Fuzz/run.sh 60 ReducerFuzz
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD:-$root/.build-fuzz}
seconds=${1:-25}
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(DecoderFuzz ReducerFuzz FormatterFuzz ProbeFuzz)

"$root/Fuzz/build.sh"
mkdir -p "$out/crashes"
status=0
for name in "${harnesses[@]}"; do
    # Inputs the fuzzer finds go to a corpus of its own; the committed seeds stay as they are.
    corpus="$out/corpus/$name"
    mkdir -p "$corpus"
    echo "== $name: ${seconds} s"
    # No Swift backtracer (libFuzzer reports the crash itself); leaks are not what is tested.
    if ! SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
        "$out/$name" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=3072 \
        -print_final_stats=1 -artifact_prefix="$out/crashes/$name-" "$corpus" "$root/Fuzz/Corpus" \
        > "$out/$name.log" 2>&1; then
        status=1
        echo "!! $name found a crash: see $out/$name.log and $out/crashes/"
        grep -E "ERROR|Fatal error|SUMMARY|Test unit written" "$out/$name.log" | head -5 || true
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$out/$name.log" | tr '\n' ' ' || true
    echo
done
exit $status
