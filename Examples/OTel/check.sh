#!/usr/bin/env bash
# The OTLP end-to-end check: demo-service-otlp exports to a real OTLP/HTTP receiver on 127.0.0.1
# that decodes with the official opentelemetry-proto definitions, and its faults must arrive as
# error spans whose parent is their group's span, with the error's type, message and stack.
#
#   Examples/OTel/check.sh          (from the repository; the first build takes ~7 minutes)
#
# Not in CI: swift-otel's build would take most of CI's time budget (docs/FLEET.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nice -n 10 swift build --package-path "$here"
bin="$(swift build --package-path "$here" --show-bin-path)"
python3 -c 'import opentelemetry.proto' 2>/dev/null || pip install --quiet opentelemetry-proto

work="$(mktemp -d)"
receiver=""
cleanup() { [ -n "$receiver" ] && kill "$receiver" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 "$here/otlp_receiver.py" serve "$work/spans.ndjson" > "$work/receiver.out" &
receiver=$!
for _ in $(seq 100); do grep -q '^port ' "$work/receiver.out" 2>/dev/null && break; sleep 0.1; done
port="$(sed -n 's/^port //p' "$work/receiver.out")"
[ -n "$port" ] || { echo "check: the receiver did not start"; exit 1; }

# Faults come from the seed; 6 s at 200 children/s has dozens. It stops by itself and flushes.
"$bin/demo-service-otlp" --otlp-endpoint "http://127.0.0.1:$port" --socket "$work/svc.sock" \
    --seed 7 --rate 200 --duration 6 --workers 1 > "$work/demo.out" 2> "$work/demo.err" || {
    echo "check: demo-service-otlp failed:"; cat "$work/demo.err"; exit 1; }
sleep 1  # the last batch's request
python3 "$here/otlp_receiver.py" check "$work/spans.ndjson"
