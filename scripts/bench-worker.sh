#!/usr/bin/env bash
# Throughput of `mailsift worker` over Redis Streams: queues corpus messages into a private redis-server on
# 127.0.0.1, starts W workers (a release build), and times them until every message has its verdict.
#
#   scripts/bench-worker.sh [--workers W] [--messages N] [--batch B] CORPUS_DIR ...
set -euo pipefail
cd "$(dirname "$0")/.."
workers=1 messages=3000 batch=32 dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    *) dirs+=("$1"); shift ;;
  esac
done
[ ${#dirs[@]} -gt 0 ] || { echo "usage: $0 [--workers W] [--messages N] [--batch B] CORPUS_DIR ..." >&2; exit 2; }
bin=.build/release/mailsift
[ -x "$bin" ] || swift build -c release --product mailsift
port=$((20000 + RANDOM % 20000))
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null &
redis=$!
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; kill $redis 2>/dev/null' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
cli() { redis-cli -p "$port" "$@"; }

# Queue the messages (not timed): corpus files, cycled until there are N.
mapfile -t files < <(find "${dirs[@]}" -name '*.eml' -type f | sort)
[ ${#files[@]} -gt 0 ] || { echo "no .eml files under ${dirs[*]}" >&2; exit 2; }
for ((i = 0; i < messages; i++)); do
  cli -x XADD mailsift:messages '*' message < "${files[i % ${#files[@]}]}" >/dev/null
done

start=$(date +%s.%N)
for ((w = 0; w < workers; w++)); do
  "$bin" worker --redis "redis://127.0.0.1:$port" --consumer "bench-$w" --batch "$batch" >/dev/null 2>&1 &
  pids+=($!)
done
# Done when every message has a verdict or a dead letter; the clock includes model loading (reported apart).
while :; do
  done_count=$(( $(cli XLEN mailsift:verdicts) + $(cli XLEN mailsift:dead) ))
  [ "$done_count" -ge "$messages" ] && break
  sleep 0.02
done
end=$(date +%s.%N)
first=$(cli XRANGE mailsift:verdicts - + COUNT 1 | head -1 | cut -d- -f1)
last=$(cli XREVRANGE mailsift:verdicts + - COUNT 1 | head -1 | cut -d- -f1)
awk -v n="$messages" -v s="$start" -v e="$end" -v f="$first" -v l="$last" -v w="$workers" 'BEGIN {
  printf "workers %d, messages %d: %.1f s from start (model loading included), %.0f msg/s\n", w, n, e - s, n / (e - s)
  if (l > f) printf "from the first verdict to the last: %.2f s, %.0f msg/s\n", (l - f) / 1000, (n - 1) / ((l - f) / 1000)
}'
