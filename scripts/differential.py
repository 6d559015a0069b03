#!/usr/bin/env python3
"""Differential test of Mailsift's MIME parser against Python's `email` package (an independent implementation).

For every message of the given corpus folders, both parsers produce:
  - the MIME structure: content types, nested with parentheses, e.g. multipart/mixed(text/plain,image/gif)
  - the decoded text of every text/* leaf, compared after whitespace normalisation
Mailsift's side comes from `mailsift parse` (JSON lines). Prints the agreement and the disagreements by kind;
exits 1 when agreement is under --min-agreement (default 0.99).

Usage: scripts/differential.py --mailsift .build/release/mailsift ../shared/corpus/spamassassin ...
"""
import argparse, codecs, email, email.policy, json, os, re, subprocess, sys, unicodedata
from collections import Counter

WS = re.compile(r"\s+")

# The 27 characters Windows-1252 puts at bytes 0x80-0x9F, where ISO-8859-1 has C1 controls.
CP1252_SPECIALS = set(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))

def norm_text(s):
    """Whitespace normalisation, applied alike to both sides, plus two documented, intended differences:
    - Mailsift drops NUL bytes;
    - Mailsift reads ISO-8859-1 (and undeclared 8-bit text) as Windows-1252, as browsers do, where Python gives
      C1 controls: C1 controls and the 27 Windows-1252 specials are dropped on both sides."""
    s = s.replace("\x00", "")
    s = "".join(ch for ch in s if not ("\x80" <= ch <= "\x9f") and ch not in CP1252_SPECIALS)
    return WS.sub(" ", s).strip()

def ascii_only(s):
    return "".join(ch for ch in s if ch < "\x80" and not ch.isspace())

def py_charset_decode(payload, charset):
    cs = (charset or "us-ascii").strip().strip('"').lower()
    try:
        codecs.lookup(cs)
    except LookupError:
        cs = "latin-1"
    try:
        return payload.decode(cs, errors="replace")
    except Exception:
        return payload.decode("latin-1", errors="replace")

def py_structure(msg, texts):
    ctype = msg.get_content_type()
    if msg.is_multipart():
        return ctype + "(" + ",".join(py_structure(p, texts) for p in msg.get_payload()) + ")"
    if msg.get_content_maintype() == "text":
        payload = msg.get_payload(decode=True) or b""
        texts.append(norm_text(py_charset_decode(payload, msg.get_content_charset())))
    return ctype

def ms_structure(part, texts):
    ctype = part["content_type"]
    children = part.get("parts")
    if children:
        return ctype + "(" + ",".join(ms_structure(p, texts) for p in children) + ")"
    if ctype.startswith("text/"):
        texts.append(norm_text(part.get("text") or ""))
    return ctype

def mailsift_reports(binary, files):
    out = {}
    for i in range(0, len(files), 500):
        chunk = files[i:i + 500]
        res = subprocess.run([binary, "parse", *chunk], capture_output=True, text=True, check=True)
        for line in res.stdout.splitlines():
            rec = json.loads(line)
            out[rec["file"]] = rec
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailsift", required=True)
    ap.add_argument("--min-agreement", type=float, default=0.99)
    ap.add_argument("--show", type=int, default=10, help="disagreements to list per kind")
    ap.add_argument("corpus", nargs="+")
    args = ap.parse_args()
    files = []
    for c in args.corpus:
        d = os.path.join(c, "messages")
        files += sorted(os.path.join(d, f) for f in os.listdir(d))
    reports = mailsift_reports(args.mailsift, files)
    kinds = Counter()
    examples = {}
    agree = 0
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        py_texts = []
        py = py_structure(email.message_from_bytes(data, policy=email.policy.compat32), py_texts)
        rec = reports.get(f)
        if rec is None or "error" in rec:
            kind = "mailsift error: " + (rec or {}).get("error", "no output")
        else:
            ms_texts = []
            ms = ms_structure(rec["structure"], ms_texts)
            if ms != py:
                kind = "structure"
            elif ms_texts != py_texts and not (
                # Where Python could not decode (U+FFFD: undeclared or mislabelled 8-bit text), Mailsift sniffs
                # the real charset instead; there only the ASCII content is compared.
                len(ms_texts) == len(py_texts)
                and all(a == b or ("\ufffd" in b and ascii_only(a) == ascii_only(b)) for a, b in zip(ms_texts, py_texts))
            ):
                kind = "text"
            else:
                agree += 1
                continue
        kinds[kind] += 1
        examples.setdefault(kind, []).append(f)
    total = len(files)
    rate = agree / total if total else 0
    print(f"differential: {agree}/{total} messages agree ({rate:.4%}) with Python {sys.version.split()[0]} email")
    for kind, n in kinds.most_common():
        print(f"  {kind}: {n}")
        for f in examples[kind][: args.show]:
            print(f"    {f}")
    sys.exit(0 if rate >= args.min_agreement else 1)

if __name__ == "__main__":
    main()
