#!/usr/bin/env python3
"""Checks Mailsift's sentence encoder against the reference implementations (docs/transformer.md).

Runs `mailsift embed` on messages and compares, on the very text Mailsift says the stage reads:
- the token ids with the `tokenizers` package's tokenizer built from the model's tokenizer.json (must be equal);
- unless --tokens-only: the embedding with sentence-transformers' computation (Hugging Face `transformers` BertModel
  on PyTorch, mean pooling, unit length): cosine >= --min-cosine on every message.

usage: check-encoder.py --mailsift BIN --encoder DIR [--precision fp32|int8] [--tokens 128] [--limit 500]
                        [--tokens-only] [--min-cosine 0.999] MESSAGE_DIR_OR_FILE...
Exits 1 on any mismatch, and prints the worst cases.
"""
import argparse, json, os, random, subprocess, sys


def message_files(paths, limit, seed):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names if n.endswith('.eml')]
        else:
            files.append(p)
    files.sort()
    random.Random(seed).shuffle(files)
    return files[:limit]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mailsift', required=True)
    ap.add_argument('--encoder', required=True)
    ap.add_argument('--precision', default='fp32')
    ap.add_argument('--tokens', type=int, default=128)
    ap.add_argument('--limit', type=int, default=500)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--tokens-only', action='store_true')
    ap.add_argument('--min-cosine', type=float, default=0.999)
    ap.add_argument('paths', nargs='+')
    a = ap.parse_args()
    files = message_files(a.paths, a.limit, a.seed)
    lines = []
    for k in range(0, len(files), 200):
        cmd = [a.mailsift, 'embed', '--encoder', a.encoder, '--precision', a.precision, '--tokens', str(a.tokens)]
        if a.tokens_only:
            cmd.append('--text-only')
        out = subprocess.run(cmd + files[k:k + 200], check=True, capture_output=True, text=True).stdout
        lines += [json.loads(l) for l in out.splitlines() if l.strip()]
    lines = [l for l in lines if not l.get('error')]

    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(a.encoder, 'tokenizer.json'))
    tok.enable_truncation(max_length=a.tokens)
    tok.no_padding()
    token_mismatches = []
    for l in lines:
        ref = tok.encode(l['text']).ids
        if ref != l['tokens']:
            first = next((i for i, (x, y) in enumerate(zip(ref, l['tokens'])) if x != y), min(len(ref), len(l['tokens'])))
            token_mismatches.append((l['file'], first, ref[first:first + 5], l['tokens'][first:first + 5]))
    print(f'tokens: {len(lines) - len(token_mismatches)} of {len(lines)} messages identical to the reference tokenizer')
    for m in token_mismatches[:5]:
        print('  differs:', m)
    failed = bool(token_mismatches)

    if not a.tokens_only:
        import torch
        from transformers import BertModel
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        model = BertModel.from_pretrained(a.encoder, add_pooling_layer=False).eval()
        cosines = []
        with torch.no_grad():
            for l in lines:
                ids = torch.tensor([l['tokens']])
                out = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state[0]
                ref = torch.nn.functional.normalize(out.mean(0), dim=0)
                ours = torch.tensor(l['embedding'])
                cosines.append((float(torch.dot(ref, ours) / ours.norm().clamp(min=1e-12)), l['file']))
        cosines.sort()
        mean = sum(c for c, _ in cosines) / len(cosines)
        print(f'embeddings ({a.precision}): cosine to the reference min {cosines[0][0]:.6f}, mean {mean:.6f} over {len(cosines)} messages')
        for c, f in cosines[:3]:
            print(f'  lowest: {c:.6f} {f}')
        failed = failed or cosines[0][0] < a.min_cosine
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
