#!/usr/bin/env python3
"""Write a time-ordered split of the spam corpora: the earliest messages (by the index's date) are `train`,
all later ones `test`. Used by the cold-start replay of docs/learning.md: a model trained on the first few
hundred messages, then the feedback loop over everything after them.

    scripts/time-split.py --train 500 ../shared/corpus/spamassassin ../shared/corpus/csdmc2010 \
        ../shared/corpus/nazario_phishing > time_split.tsv

Rows without a date, or dated before 1995 or after 2015 (clocks set wrong), are left out: the replay orders
messages by date and could not place them.
"""
import argparse
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, required=True, help="how many of the earliest messages are train rows")
    ap.add_argument("corpus", nargs="+", help="corpus folders (their names are the split's corpus column)")
    args = ap.parse_args()
    rows = []
    for folder in args.corpus:
        name = os.path.basename(os.path.normpath(folder))
        with open(os.path.join(folder, "index.tsv"), encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            col = {k: i for i, k in enumerate(header)}
            for line in f:
                fields = line.rstrip("\n").split("\t")
                date = fields[col["date"]]
                if not date or not ("1995" <= date[:4] <= "2015"):
                    continue
                rows.append((date, name, fields[col["id"]], fields[col["label"]]))
    rows.sort()
    out = sys.stdout
    out.write("corpus\tid\tlabel\tsplit\n")
    for i, (date, name, ident, label) in enumerate(rows):
        out.write(f"{name}\t{ident}\t{label}\t{'train' if i < args.train else 'test'}\n")
    train = rows[: args.train]
    print(f"{len(rows)} rows; train: {len(train)} ({sum(r[3] == 'spam' for r in train)} spam), "
          f"{train[0][0] if train else '-'} to {train[-1][0] if train else '-'}", file=sys.stderr)


if __name__ == "__main__":
    main()
