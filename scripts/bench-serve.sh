#!/usr/bin/env bash
# Load benchmark of `mailsift serve` over loopback (docs/benchmarks.md): wrk replays corpus messages to
# POST /v1/classify, first at saturation, then paced at 25%, 50% and 75% of the throughput found, and prints
# requests/s and latency percentiles for each. Server and wrk share this machine's cores.
#
#   scripts/bench-serve.sh [--seconds S] [--connections C] [--query Q] [--binary PATH] [CORPUS_DIR ...]
#
# --binary serves with another build (A/B runs of two binaries); the default is .build/release/mailsift.
# Defaults: 15 s per run, 8 connections, query "reasons=8" (the default reply, with reasons), the three spam
# corpora of ../shared/corpus. Needs wrk (scripts/install-deps.sh) and a release build (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=15
connections=8
query="reasons=8"
binary=.build/release/mailsift
corpora=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --query) query="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    *) corpora+=("$1"); shift ;;
  esac
done
[ ${#corpora[@]} -eq 0 ] && corpora=(../shared/corpus/spamassassin ../shared/corpus/csdmc2010 ../shared/corpus/nazario_phishing)
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }
[ -x "$binary" ] || swift build -c release --product mailsift >&2

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
for c in "${corpora[@]}"; do
  if [ -d "$c/messages" ]; then find "$c/messages" -type f; else find "$c" -type f; fi
done | sort > "$work/list"
"$binary" serve --port "$port" 2> "$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
url="http://127.0.0.1:$port/v1/classify?$query"
run() {  # $1: delay per connection in ms (0: as fast as possible)
  MAILSIFT_BENCH_LIST="$work/list" MAILSIFT_BENCH_DELAY_MS="$1" \
    wrk -t1 -c"$connections" -d"${seconds}s" -s scripts/wrk-replay.lua "$url" | grep '^RESULT'
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<< "$2"; }

echo "mailsift serve: $(wc -l < "$work/list") messages, POST /v1/classify?$query, $connections connections, ${seconds}s per run, $(nproc) cores shared with wrk"
MAILSIFT_BENCH_LIST="$work/list" wrk -t1 -c"$connections" -d3s -s scripts/wrk-replay.lua "$url" >/dev/null  # warm-up
saturation=$(run 0)
rps=$(field rps "$saturation")
printf "%-12s %10s %10s %10s %10s %8s\n" "load" "req/s" "p50 ms" "p99 ms" "p99.9 ms" "errors"
report() {
  printf "%-12s %10.0f %10.2f %10.2f %10.2f %8d\n" "$1" "$(field rps "$2")" \
    "$(bc -l <<< "$(field p50_us "$2") / 1000")" "$(bc -l <<< "$(field p99_us "$2") / 1000")" \
    "$(bc -l <<< "$(field p999_us "$2") / 1000")" "$(( $(field non2xx "$2") + $(field socket_errors "$2") ))"
}
report "saturation" "$saturation"
for share in 25 50 75; do
  target=$(bc -l <<< "$rps * $share / 100")
  delay=$(bc <<< "scale=0; $connections * 1000 / $target")
  report "$share% ($(printf %.0f "$target")/s)" "$(run "$delay")"
done
