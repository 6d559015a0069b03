#!/usr/bin/env bash
# Builds the libFuzzer target over the MailsiftCore sources (with AddressSanitizer) and runs it.
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# Seeds: a sample of ../shared/corpus plus the test fixtures. Findings land in fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"; shift || true
out=.build-fuzz
mkdir -p "$out" fuzz-artifacts "$out/corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MailsiftCore \
  $(find Sources/MailsiftCore -name '*.swift') Fuzz/ParserFuzzer.swift -o "$out/fuzz-parser"
if [ -z "$(ls -A "$out/corpus")" ]; then
  # Seed: every 10th message of each corpus (bounded), and the hand-written fixtures.
  for c in ../shared/corpus/*/messages; do
    [ -d "$c" ] && ls "$c" | awk 'NR % 10 == 0' | head -400 | while read -r f; do cp "$c/$f" "$out/corpus/"; done
  done
  cp Tests/MailsiftCoreTests/Fixtures/*.eml "$out/corpus/" 2>/dev/null || true
fi
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec "$out/fuzz-parser" "$out/corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 "$@"
