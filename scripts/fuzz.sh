#!/usr/bin/env bash
# Builds a libFuzzer target (with AddressSanitizer) and runs it.
#   scripts/fuzz.sh [parser|requests|attachments|images|language] [SECONDS] [extra libFuzzer flags...]
# parser (the default): Fuzz/ParserFuzzer.swift over the MailsiftCore sources; seeds: a sample of
#   ../shared/corpus plus the test fixtures.
# requests: Fuzz/RequestFuzzer.swift over the MailsiftCore sources and the server's pure request decoders
#   (spamd reader, milter packets and session, batch and feedback bodies); seeds: scripts/fuzz-seeds.py.
# attachments: Fuzz/AttachmentFuzzer.swift over the MailsiftCore sources and the attachment inspector (libmagic,
#   libarchive); seeds: the attachment fixtures.
# images: Fuzz/ImageFuzzer.swift over the MailsiftCore sources and the image decoders (libpng, libturbojpeg, giflib,
#   libwebp); seeds: the image fixtures.
# language: Fuzz/LanguageFuzzer.swift over the MailsiftCore sources and CLD2 (its C++ shim built here); seeds: the
#   labelled texts of scripts/language-eval.sh when they are there, else the test fixtures' messages.
# Findings land in fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=parser
case "${1:-}" in parser|requests|attachments|images|language) target="$1"; shift ;; esac
seconds="${1:-600}"; shift || true
out=.build-fuzz
mkdir -p "$out" fuzz-artifacts
core=$(find Sources/MailsiftCore -name '*.swift')
# seed DIR N [FIRST]: each fixture of DIR up to 64 KB into $corpus, behind a first byte that cycles through N values
# from FIRST (0 by default).
seed() {
  local i=0 f
  for f in "$1"/*; do
    [ "$(stat -c %s "$f")" -le 65535 ] || continue
    { printf "\\$(printf '%03o' $(( ${3:-0} + i % $2 )))"; cat "$f"; } > "$corpus/seed-$i"
    i=$((i + 1))
  done
}
if [ "$target" = parser ]; then
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MailsiftCore $core Fuzz/ParserFuzzer.swift -o "$out/fuzz-parser"
  corpus="$out/corpus"
  mkdir -p "$corpus"
  if [ -z "$(ls -A "$corpus")" ]; then
    # Seed: every 10th message of each corpus (bounded), and the hand-written fixtures.
    for c in ../shared/corpus/*/messages; do
      # (awk stops at 400 itself: `head` would end the pipeline with SIGPIPE, which pipefail makes fatal)
      [ -d "$c" ] && ls "$c" | awk 'NR % 10 == 0 && n++ < 400' | while read -r f; do cp "$c/$f" "$corpus/"; done
    done
    cp Tests/MailsiftCoreTests/Fixtures/*.eml "$corpus/" 2>/dev/null || true
  fi
  max_len=65536
elif [ "$target" = attachments ]; then
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MailsiftCore -I Sources/CMagic -I Sources/CArchive $core \
    Sources/MailsiftAttachments/LibraryAttachmentInspector.swift Fuzz/AttachmentFuzzer.swift -o "$out/fuzz-attachments"
  corpus="$out/corpus-attachments"
  mkdir -p "$corpus"
  # The first byte names the file type (Fuzz/AttachmentFuzzer.swift): each of the 12 in turn.
  [ -n "$(ls -A "$corpus")" ] || seed Tests/MailsiftServerTests/Fixtures/attachments 12
  max_len=65536
elif [ "$target" = images ]; then
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MailsiftCore $core \
    -I Sources/CPNG -I Sources/CTurboJPEG -I Sources/CGIF -I Sources/CWebP \
    Sources/MailsiftImages/LibraryImageDecoder.swift Fuzz/ImageFuzzer.swift -o "$out/fuzz-images"
  corpus="$out/corpus-images"
  mkdir -p "$corpus"
  # The first byte picks the signature (Fuzz/ImageFuzzer.swift): 4 (none) leaves the file as it is.
  [ -n "$(ls -A "$corpus")" ] || seed Tests/MailsiftServerTests/Fixtures/images 1 4
  max_len=65536
elif [ "$target" = language ]; then
  mkdir -p "$out/ccld2"
  clang++ -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/CCLD2/include -c Sources/CCLD2/cld2_shim.cc -o "$out/ccld2/cld2_shim.o"
  printf 'module CCLD2 {\n  header "%s"\n  export *\n}\n' "$PWD/Sources/CCLD2/include/cld2_shim.h" > "$out/ccld2/module.modulemap"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MailsiftCore -I "$out/ccld2" $core \
    Sources/MailsiftLanguage/CLD2LanguageDetector.swift Fuzz/LanguageFuzzer.swift "$out/ccld2/cld2_shim.o" \
    -Xlinker --no-as-needed -lcld2_full -lcld2 -lstdc++ -o "$out/fuzz-language"
  corpus="$out/corpus-language"
  mkdir -p "$corpus"
  if [ -z "$(ls -A "$corpus")" ]; then
    if [ -f /tmp/mailsift-language/set.tsv ]; then
      awk -F'\t' 'NR % 20 == 0 { print $3 > "'"$corpus"'/seed-" NR }' /tmp/mailsift-language/set.tsv
    else
      cp Tests/MailsiftCoreTests/Fixtures/*.eml "$corpus/" 2>/dev/null || true
    fi
  fi
  max_len=16384
else
  server=Sources/MailsiftServer
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MailsiftCore $core \
    "$server/SpamdRequest.swift" "$server/MilterSession.swift" "$server/BatchRequest.swift" "$server/FeedbackRequest.swift" \
    Fuzz/RequestFuzzer.swift -o "$out/fuzz-requests"
  corpus="$out/corpus-requests"
  mkdir -p "$corpus"
  [ -n "$(ls -A "$corpus")" ] || python3 scripts/fuzz-seeds.py "$corpus"
  max_len=16384
fi
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec "$out/fuzz-$target" "$corpus" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 "$@"
