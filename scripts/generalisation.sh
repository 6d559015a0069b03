#!/usr/bin/env bash
# The generalisation protocols of docs/generalisation.md for one training recipe, three seeds each: the
# time-forward and cross-source split files are written, a model is trained on each protocol's train rows (and
# on the dev split's) with `mailsift train --labels spam,ham --seed S` plus the options given, and evaluated on
# its test rows and, to check only, on the transfer set (modern_lists: never trained or tuned on).
#
#   scripts/generalisation.sh [--out DIR] [--seeds "1 2 3"] [-- TRAIN_OPTION ...]
#
# Protocols: dev_split, time_forward, cross_source (csdmc2010 held out), cross_source_sa (spamassassin held out);
# PROTOCOLS="..." runs some of them. MAILSIFT_BIN names the binary (default: the release build).
#
# e.g. scripts/generalisation.sh -- --time-folds. Prints, per protocol and seed, AUC and recall at 1% and 0.1% FPR
# on the test rows and on modern_lists, and the realised false-positive rate at quarantine; every eval report is
# kept in DIR (default: a new temporary folder). Needs a release build (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out=""
seeds="1 2 3"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
options=("$@")
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
bin=${MAILSIFT_BIN:-.build/release/mailsift}
[ -x "$bin" ] || swift build -c release --product mailsift >&2
c=../shared/corpus
corpora=(--corpus "$c/spamassassin" --corpus "$c/csdmc2010" --corpus "$c/nazario_phishing")
"$bin" split time-forward "${corpora[@]}" --out "$out/time_forward.tsv" > "$out/time_forward.summary"
"$bin" split cross-source "${corpora[@]}" --test-corpus csdmc2010 --out "$out/cross_source.tsv" > "$out/cross_source.summary"
# The other way round: spamassassin's mail (2001-2002, many lists and newsletters) scored by a model trained on
# csdmc2010 (its ham from one source, 2010) and nazario_phishing.
"$bin" split cross-source "${corpora[@]}" --test-corpus spamassassin --out "$out/cross_source_sa.tsv" > "$out/cross_source_sa.summary"

# One row of a report's first table: AUC, recall at 1% and 0.1% FPR.
figures() { awk -F' *[|] *' '/^[|] file/ { getline; getline; printf "AUC %s, recall@1%% %s, recall@0.1%% %s", $6, $9, $10; exit }' "$1"; }
quarantine() { awk -F' *[|] *' '/^[|] quarantine[+]/ { printf "quarantine FPR %s recall %s", $4, $6; exit }' "$1"; }

protocols=${PROTOCOLS:-dev_split time_forward cross_source cross_source_sa}
for protocol in $protocols; do
  split="$out/$protocol.tsv"
  [ "$protocol" = dev_split ] && split=../shared/eval/dev_split.tsv
  for seed in $seeds; do
    model="$out/$protocol-$seed.msmodel"
    "$bin" train "${corpora[@]}" --split "$split" --labels spam,ham --seed "$seed" --out "$model" "${options[@]}" > "$out/$protocol-$seed.train" 2>/dev/null
    "$bin" eval --model "$model" "${corpora[@]}" --split "$split" > "$out/$protocol-$seed.eval" 2>/dev/null
    "$bin" eval --model "$model" --corpus "$c/modern_lists" --split ../shared/eval/transfer_split.tsv > "$out/$protocol-$seed.transfer" 2>/dev/null
    echo "$protocol seed $seed: test $(figures "$out/$protocol-$seed.eval"), $(quarantine "$out/$protocol-$seed.eval"); modern_lists $(figures "$out/$protocol-$seed.transfer"), $(quarantine "$out/$protocol-$seed.transfer")"
  done
done
echo "reports in $out"
