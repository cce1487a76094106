#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/Harnesses/*Fuzz.swift) into .build-fuzz/ (or $FUZZ_BUILD).
#
# SwiftPM cannot build a fuzzer (its executables have their own main, libFuzzer brings one), so
# each module a harness needs is compiled here with swiftc, instrumented for coverage and
# AddressSanitizer, from the package's own sources: GroupEvents, GroupHealth, Dashboard, SystemCalls and
# MonitorClient (with CSystem's C, for list's probe). A harness is linked with the modules it imports and the
# few CLI files it tests (the CLI is an executable target, so its files are compiled in).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD:-$root/.build-fuzz}
mkdir -p "$out"
cd "$root"

swift_flags=(-sanitize=fuzzer,address -O -g -swift-version 6 -package-name safegroup -parse-as-library -I "$out"
             -Xcc -fmodule-map-file="$out/CSafeGroupSystem.modulemap")

# CSystem: C, compiled with clang; its module map points at the package's header.
cat > "$out/CSafeGroupSystem.modulemap" <<MAP
module CSafeGroupSystem {
    header "$root/Sources/CSystem/include/CSystem.h"
    link "pthread"
    export *
}
MAP
for c in Sources/CSystem/*.c; do
    clang -O1 -g -fPIC -I Sources/CSystem/include -c "$c" -o "$out/CSystem-$(basename "$c" .c).o"
done

# module NAME SOURCES...: an instrumented object and a .swiftmodule, rebuilt when a source changed.
module() {
    local name=$1; shift
    if [[ -f "$out/$name.o" ]] && [[ -z $(find "$@" -newer "$out/$name.o" 2>/dev/null) ]]; then return; fi
    swiftc "${swift_flags[@]}" -wmo -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -c "$@" -o "$out/$name.o"
}
# The Dashboard's package dependencies, swift-collections' DequeModule and (through GroupHealth)
# hdrhistogram-swift's Histogram with swift-numerics, are taken as SwiftPM builds them (debug,
# not instrumented: the fuzzers explore our code, not theirs), with the modules they need.
swift build --target DequeModule >/dev/null
swift build --target Histogram >/dev/null
bin=$(swift build --show-bin-path)
ld -r -o "$out/Collections.o" "$bin"/{InternalCollectionsUtilities,ContainersPreview,DequeModule}.build/*.o
numerics=()
for target in Histogram Numerics RealModule ComplexModule IntegerUtilities _NumericsShims; do
    if [[ -d "$bin/$target.build" ]]; then numerics+=("$bin/$target.build"/*.o); fi
done
ld -r -o "$out/Histogram.o" "${numerics[@]}"
swift_flags+=(-I "$bin/Modules"
              -Xcc -fmodule-map-file="$root/.build/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap")
module GroupEvents $(find Sources/GroupEvents -name '*.swift' | sort)
module GroupHealth $(find Sources/GroupHealth -name '*.swift' | sort)
module Dashboard $(find Sources/Dashboard -name '*.swift' | sort)
module SystemCalls $(find Sources/SystemCalls -name '*.swift' | sort)
module MonitorClient $(find Sources/MonitorClient -name '*.swift' | sort)

# harness NAME OBJECTS... -- SOURCES...: links one fuzzer.
harness() {
    local name=$1; shift
    local objects=()
    while [[ $1 != -- ]]; do objects+=("$out/$1.o"); shift; done
    shift
    swiftc "${swift_flags[@]}" -module-name "$name" "Fuzz/Harnesses/$name.swift" "$@" "${objects[@]}" -o "$out/$name" \
        2> >(grep -v "Cannot export local symbol '__asan" >&2)
}
harness DecoderFuzz GroupEvents --
harness ReducerFuzz GroupEvents GroupHealth Dashboard Collections Histogram --
harness FormatterFuzz GroupEvents -- Sources/safegroup/EventFormatter.swift
harness ProbeFuzz GroupEvents SystemCalls MonitorClient $(cd "$out" && ls CSystem-*.o | sed 's/\.o$//') -- \
    Sources/safegroup/ServiceProbe.swift Sources/safegroup/JSONText.swift Sources/safegroup/TerminalSafeJSON.swift
echo "fuzzers in $out: DecoderFuzz ReducerFuzz FormatterFuzz ProbeFuzz"
