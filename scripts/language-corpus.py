#!/usr/bin/env python3
"""A labelled language set from Debian's translated manual pages, for `mailsift language --labelled`.

Reads the man pages unpacked from Debian's manpages-XX packages (scripts/language-eval.sh unpacks them) and
writes TSV rows `language<TAB>length<TAB>text`: for each language, pages in random order (a fixed seed), the
prose paragraphs of each page (roff requests and font escapes taken out; paragraphs of option names and
code, and paragraphs left in English, left out: ``is_language``) joined up to each target length, one sample per page and length. Languages are written as CLD2
names them (ISO 639-1; `no` for Norwegian Bokmål, `zh` and `zh-Hant` for simplified and traditional Chinese).

Usage: language-corpus.py MAN_ROOT OUT.tsv [--per-language N] [--lengths 64,256,512,1024] [--seed 1]
"""
import argparse
import gzip
import os
import random
import re
import sys

# Debian's directory names to CLD2's codes.
LANGUAGES = {
    "": "en", "cs": "cs", "da": "da", "de": "de", "el": "el", "es": "es", "fi": "fi", "fr": "fr", "hu": "hu",
    "id": "id", "it": "it", "ja": "ja", "mk": "mk", "nb": "no", "nl": "nl", "pl": "pl", "pt_BR": "pt", "ro": "ro",
    "ru": "ru", "sr": "sr", "sv": "sv", "tr": "tr", "uk": "uk", "vi": "vi", "zh_CN": "zh", "zh_TW": "zh-Hant",
}

ESCAPES = [
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),      # font changes
    (re.compile(r"\\s[-+]?\d"), ""),                  # size changes
    (re.compile(r"\\\*(\[[^\]]*\]|\(..|.)"), ""),     # strings
    (re.compile(r"\\\((em|en)"), "-"),
    (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),          # special characters
    (re.compile(r"\\[-e]"), "-"),
    (re.compile(r"\\[&|^:%]"), ""),
    (re.compile(r"\\ "), " "),
    (re.compile(r"\\\""), ""),
]


# English words a translated paragraph does not use: a paragraph of another language where they are common is
# one the translators left in English (manual pages often are), and is left out.
ENGLISH = set("the of and to in is for that this with be are on as by or not it if an from can which when".split())
NON_LATIN = {"el", "ja", "mk", "ru", "sr", "uk", "zh", "zh-Hant"}


def is_language(p, code):
    """Whether a paragraph is written in its page's language, by two tests independent of any detector: few
    English function words (other than in English), and most letters outside Latin for a non-Latin language."""
    words = re.findall(r"[A-Za-z]+", p.lower())
    if code != "en" and sum(w in ENGLISH for w in words) > 0.05 * max(1, len(p.split())):
        return False
    if code in NON_LATIN:
        letters = [ch for ch in p if ch.isalpha()]
        latin = sum("a" <= ch.lower() <= "z" for ch in letters)
        return latin <= 0.3 * max(1, len(letters))
    return True


def page_paragraphs(raw, code):
    """Prose paragraphs of one roff page in its language."""
    paragraphs, current = [], []
    for line in raw.splitlines():
        if line.startswith((".", "'")):
            request = line[1:3]
            if request in ("PP", "SH", "SS", "TP", "IP", "LP", "P", "HP", "nf", "EX", "TH", "RS", "RE"):
                if current:
                    paragraphs.append(" ".join(current))
                current = []
            continue
        for pattern, repl in ESCAPES:
            line = pattern.sub(repl, line)
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    out = []
    for p in paragraphs:
        p = re.sub(r"\s+", " ", p).strip()
        letters = sum(ch.isalpha() for ch in p)
        # Prose: mostly letters, several words, not a list of options or a line of code.
        if len(p) >= 40 and letters >= 0.6 * len(p) and p.count(" ") >= 4 and not re.search(r"[{};]\s*$", p) and is_language(p, code):
            out.append(p)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--per-language", type=int, default=200)
    ap.add_argument("--lengths", default="64,256,512,1024")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    rng = random.Random(args.seed)
    rows = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for directory, code in sorted(LANGUAGES.items()):
            base = os.path.join(args.root, directory)
            pages = []
            for section in sorted(os.listdir(base)) if os.path.isdir(base) else []:
                if not re.fullmatch(r"man\d", section):
                    continue
                for name in sorted(os.listdir(os.path.join(base, section))):
                    pages.append(os.path.join(base, section, name))
            rng.shuffle(pages)
            counts = {n: 0 for n in lengths}
            for path in pages:
                if all(c >= args.per_language for c in counts.values()):
                    break
                try:
                    opener = gzip.open if path.endswith(".gz") else open
                    with opener(path, "rb") as f:
                        raw = f.read().decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                if raw.startswith(".so "):
                    continue  # a link to another page
                text = " ".join(page_paragraphs(raw, code))
                for n in lengths:
                    if counts[n] >= args.per_language or len(text) < n:
                        continue
                    cut = text[:n]
                    if " " in cut[n // 2:]:
                        cut = cut[: cut.rindex(" ")]  # whole words
                    out.write(f"{code}\t{n}\t{cut}\n")
                    counts[n] += 1
                    rows += 1
            print(f"{code}: {', '.join(f'{n}: {c}' for n, c in counts.items())}", file=sys.stderr)
    print(f"{rows} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
