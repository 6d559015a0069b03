#!/usr/bin/env bash
# Measures language detection on a labelled set made from Debian's translated manual pages (25 languages, texts of 64,
# 256, 512 and 1024 characters; scripts/language-corpus.py): CLD2 as Mailsift runs it (`mailsift language --labelled`), then
# libexttextcat (the alternative Debian packages) on the same texts, for docs/content.md.
# Usage: scripts/language-eval.sh [WORK_DIR]   (default /tmp/mailsift-language; MAILSIFT=path of the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/mailsift-language}
mailsift=${MAILSIFT:-.build/release/mailsift}
packages="manpages manpages-cs manpages-da manpages-de manpages-el manpages-es manpages-fi manpages-fr manpages-hu manpages-id
  manpages-it manpages-ja manpages-mk manpages-nb manpages-nl manpages-pl manpages-pt-br manpages-ro manpages-ru manpages-sr
  manpages-sv manpages-tr manpages-uk manpages-vi manpages-zh"
mkdir -p "$work/debs" "$work/root"
if [ ! -f "$work/set.tsv" ]; then
  (cd "$work/debs" && apt-get download $packages >/dev/null 2>&1)
  for d in "$work"/debs/*.deb; do dpkg-deb -x "$d" "$work/root"; done
  python3 scripts/language-corpus.py "$work/root/usr/share/man" "$work/set.tsv"
fi
echo "== CLD2 (mailsift language --labelled)"
"$mailsift" language --labelled "$work/set.tsv"

echo "== libexttextcat, same texts"
if [ ! -f /usr/include/libexttextcat/textcat.h ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends libexttextcat-dev >/dev/null
fi
cat > "$work/textcat.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <libexttextcat/textcat.h>
/* Reads language<TAB>length<TAB>text lines; writes length<TAB>expected<TAB>answer lines, then the time per text. */
int main(void) {
    void *h = special_textcat_Init("/usr/share/libexttextcat/fpdb.conf", "/usr/share/libexttextcat/");
    if (!h) { fprintf(stderr, "textcat: no fingerprints\n"); return 1; }
    static char line[1 << 16];
    double seconds = 0; long n = 0;
    while (fgets(line, sizeof line, stdin)) {
        char *tab1 = strchr(line, '\t'); if (!tab1) continue; *tab1 = 0;
        char *tab2 = strchr(tab1 + 1, '\t'); if (!tab2) continue; *tab2 = 0;
        char *text = tab2 + 1; size_t len = strcspn(text, "\n");
        struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
        const char *r = textcat_Classify(h, text, len);
        clock_gettime(CLOCK_MONOTONIC, &b);
        seconds += (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9; n++;
        printf("%s\t%s\t%s\n", tab1 + 1, line, r);
    }
    fprintf(stderr, "%.1f us a text\n", 1e6 * seconds / (n ? n : 1));
    textcat_Done(h);
    return 0;
}
C
cc -O2 -o "$work/textcat" "$work/textcat.c" -lexttextcat-2.0
"$work/textcat" < "$work/set.tsv" > "$work/textcat.out"
python3 - "$work/textcat.out" <<'PY'
import collections, sys
def code(answer):
    # "[de--utf8][nl--utf8]" -> de; zh-CN -> zh, zh-TW -> zh-Hant, nb -> no (CLD2's names); SHORT, UNKNOWN -> un.
    if not answer.startswith("["):
        return "un"
    parts = answer[1:answer.index("]")].split("-")
    if parts[0] == "zh":
        return "zh-Hant" if len(parts) > 1 and parts[1] in ("TW", "HK", "Hant") else "zh"
    return {"nb": "no"}.get(parts[0], parts[0])
right, total = collections.Counter(), collections.Counter()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    length, expected, answer = line.rstrip("\n").split("\t")
    total[length] += 1
    right[length] += code(answer) == expected
for length in sorted(total, key=int):
    print(f"{length} chars: {100 * right[length] / total[length]:.1f}% right of {total[length]}")
print(f"all: {100 * sum(right.values()) / sum(total.values()):.1f}% right of {sum(total.values())}")
PY
