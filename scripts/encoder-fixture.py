#!/usr/bin/env python3
"""Writes the encoder test's reference (Tests/MailsiftCoreTests/Fixtures/encoder_reference.json): for a few texts,
the token ids of the `tokenizers` package (from the model's tokenizer.json) and the sentence embedding of Hugging
Face `transformers` BertModel on PyTorch with mean pooling and unit length (sentence-transformers' computation).
BertEncoderTests checks Mailsift's tokens and embeddings against it; scripts/check-encoder.py does the same on
corpus messages.

usage: encoder-fixture.py ENCODER_DIR OUT.json   (needs python3-torch from Debian, transformers and tokenizers)
"""
import json, sys
import torch
from tokenizers import Tokenizer
from transformers import BertModel

TEXTS = [
    "verify your account now\nyour mailbox will be suspended unless you confirm your password within 24 hours.",
    "re: meeting notes\nthanks, i've attached the minutes from tuesday. let's talk about the q3 roadmap on friday.",
    "Café résumé naïve — ÉCOLE déjà vu, Ωmega ß straße",
    "you won $1,000,000!!! click http://example.com/claim?id=42 <now> (limited offer)",
    "中文邮件测试 日本語のテキスト 한국어 텍스트",
    "a" * 150 + " tokenization unaffordable supercalifragilisticexpialidocious",
    "",
]


def main():
    folder, out = sys.argv[1], sys.argv[2]
    tok = Tokenizer.from_file(folder + "/tokenizer.json")
    tok.enable_truncation(max_length=128)
    tok.no_padding()
    model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    cases = []
    with torch.no_grad():
        for text in TEXTS:
            ids = tok.encode(text).ids
            t = torch.tensor([ids])
            h = model(input_ids=t, attention_mask=torch.ones_like(t)).last_hidden_state[0]
            e = torch.nn.functional.normalize(h.mean(0), dim=0)
            cases.append({"text": text, "tokens": ids, "embedding": [round(float(x), 7) for x in e]})
    json.dump({"model": "all-MiniLM-L6-v2", "maxTokens": 128, "cases": cases}, open(out, "w"), ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
