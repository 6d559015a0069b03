#!/usr/bin/env python3
"""Writes the DKIM and ARC conformance fixtures of Tests/MailsiftDNSTests/Fixtures/dkim: messages signed by dkimpy (an
independent implementation, PyPI `dkimpy`), broken copies of them, the keys' DNS records, and dkimpy's own verdict
on each, which Mailsift must match (docs/authentication.md).

    python3 -m venv /tmp/dk && /tmp/dk/bin/pip install dkimpy==1.1.8 dnspython pynacl authres
    /tmp/dk/bin/python scripts/dkim-fixtures.py Tests/MailsiftDNSTests/Fixtures/dkim

Keys: RSA 1024 and 2048 (openssl), Ed25519 (pynacl). Signatures: every canonicalisation pair, rsa-sha256, rsa-sha1 and
ed25519-sha256, with and without l=, over bodies with trailing blanks, blank lines, tabs, folded and repeated headers
and an empty body. Broken copies: body changed, a signed header changed, the signature altered, the key revoked, an
unknown selector, an expired x=, text after an l= limit (still valid), a signed header added. Expected verdicts are
dkimpy's verify() on the first signature, with DNS answered from the same key records.
"""
import base64, os, subprocess, sys, tempfile

import dkim
import nacl.signing

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
domain = b"dkim.mailsift.example"
keys = {}      # selector -> (kind, private, public record)
records = {}   # DNS name -> TXT record bytes

def rsa(bits):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["openssl", "genrsa", "-out", f"{d}/k.pem", str(bits)], check=True, capture_output=True)
        private = open(f"{d}/k.pem", "rb").read()
        der = subprocess.run(["openssl", "rsa", "-in", f"{d}/k.pem", "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)

for selector, bits in ((b"r1024", 1024), (b"r2048", 2048)):
    private, record = rsa(bits)
    keys[selector] = ("rsa", private, record)
seed = nacl.signing.SigningKey.generate()
keys[b"ed"] = ("ed25519", base64.b64encode(bytes(seed)), b"v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(seed.verify_key)))
for selector, (_, _, record) in keys.items():
    records[selector + b"._domainkey." + domain] = record
# A revoked key: the signer's selector still answers, with an empty p=.
revoked_private, _ = rsa(1024)
records[b"revoked._domainkey." + domain] = b"v=DKIM1; k=rsa; p="

def dns(name, timeout=5):
    return records.get(name.rstrip(b".").lower())

bodies = [
    b"Hello Bob,\r\n\r\nThe minutes are below.\r\n",
    b"Line with trailing blanks   \r\n\ttabbed  line\t\r\n\r\n\r\n\r\n",
    b"",
    b"A long line " + b"x" * 990 + b"\r\n" + b"Last line without a break",
    b"Unicode \xc3\xa9\xc3\xa8 and spaces    inside   words\r\n.\r\n..dot\r\n",
]
headers = [
    b"From: Alice <alice@dkim.mailsift.example>\r\nTo: bob@example.com\r\nSubject: minutes\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <m1@dkim.mailsift.example>\r\n",
    b"Received: from a.example by b.example; Mon, 07 Dec 2026 10:00:00 +0000\r\nReceived: from c.example by a.example; Mon, 07 Dec 2026 09:59:00 +0000\r\nFrom:   Alice   <alice@dkim.mailsift.example>  \r\nTo: bob@example.com,\r\n    carol@example.com\r\nSubject:   folded\r\n\tsubject  line \r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n",
]
signed_headers = [b"from", b"to", b"subject", b"date", b"message-id"]
cases = []  # (name, message bytes, description)
n = 0
for selector, (kind, private, _) in keys.items():
    algorithms = [b"ed25519-sha256"] if kind == "ed25519" else [b"rsa-sha256", b"rsa-sha1"]
    for algorithm in algorithms:
        for canon in ((b"simple", b"simple"), (b"relaxed", b"relaxed"), (b"relaxed", b"simple"), (b"simple", b"relaxed")):
            for bi, body in enumerate(bodies):
                hi = (n // 2) % len(headers)
                message = headers[hi] + b"\r\n" + body
                length = (bi % 2 == 1) and algorithm != b"rsa-sha1"
                n += 1
                sig = dkim.sign(message, selector, domain, private, canonicalize=canon, signature_algorithm=algorithm,
                                include_headers=signed_headers, length=length)
                signed = sig + message
                tag = f"{selector.decode()}-{algorithm.decode()}-{canon[0].decode()}-{canon[1].decode()}-b{bi}{'-l' if length else ''}"
                cases.append((tag, signed, "signed"))
                cases.append((tag + "-body", signed + b"Appended by a list\r\n", "body changed"))
                cases.append((tag + "-subject", signed.replace(b"Subject:", b"Subject: [list]", 1), "signed header changed"))
                if bi == 0:
                    i = signed.index(b" b=") + 10
                    flipped = signed[:i] + (b"A" if signed[i:i + 1] != b"A" else b"B") + signed[i + 1:]
                    cases.append((tag + "-sig", flipped, "signature altered"))
                    cases.append((tag + "-added", signed.replace(b"\r\n\r\n", b"\r\nMessage-ID: <added@evil.example>\r\n\r\n", 1)
                                  if b"Message-ID" not in message else signed.replace(b"Message-ID:", b"Message-ID: <x@evil.example>\r\nMessage-ID:", 1),
                                  "signed header added"))
                if length:
                    cases.append((tag + "-after-l", signed + b"Text after the signed length\r\n", "text after l="))
# Keys and signatures that cannot pass.
base = headers[0] + b"\r\n" + bodies[0]
sig = dkim.sign(base, b"revoked", domain, revoked_private, include_headers=signed_headers)
cases.append(("revoked", sig + base, "key revoked"))
sig = dkim.sign(base, b"absent", domain, keys[b"r1024"][1], include_headers=signed_headers)
cases.append(("absent-selector", sig + base, "no key at the selector"))
# (dkimpy cannot sign with x=; expiry is tested in DKIMTests.)
# Stored with Unix line endings, as corpora keep mail.
for tag, message, what in list(cases[:24]):
    if what == "signed":
        cases.append((tag + "-lf", message.replace(b"\r\n", b"\n"), "signed, stored with LF"))

# ARC (RFC 8617): chains of one and two sets sealed by dkimpy (rsa-sha256, the 2048-bit key), and broken copies.
arc_cases = []
forwarded = (b"Authentication-Results: lists.mailsift.example; spf=pass smtp.mailfrom=alice@dkim.mailsift.example;\r\n"
             b" dkim=pass header.d=dkim.mailsift.example; dmarc=pass header.from=dkim.mailsift.example\r\n")
arc_headers = [b"from", b"to", b"subject", b"date", b"message-id"]
for bi, body in enumerate(bodies[:3]):
    for hi, head in enumerate(headers):
        message = forwarded + head + b"\r\n" + body
        one = b"".join(dkim.arc_sign(message, b"r2048", domain, keys[b"r2048"][1], b"lists.mailsift.example", include_headers=arc_headers)) + message
        arc_cases.append((f"arc1-b{bi}-h{hi}", one, "one set"))
        second = b"Authentication-Results: relay.mailsift.example; arc=pass\r\n" + one
        two = b"".join(dkim.arc_sign(second, b"r2048", domain, keys[b"r2048"][1], b"relay.mailsift.example", include_headers=arc_headers)) + second
        arc_cases.append((f"arc2-b{bi}-h{hi}", two, "two sets"))
        arc_cases.append((f"arc1-b{bi}-h{hi}-body", one + b"Footer added after sealing\r\n", "body changed after sealing"))
        arc_cases.append((f"arc2-b{bi}-h{hi}-results", two.replace(b"spf=pass", b"spf=fail", 1), "first results changed"))
        arc_cases.append((f"arc2-b{bi}-h{hi}-subject", two.replace(b"Subject:", b"Subject: [x]", 1), "signed header changed"))
        lines = two.split(b"\r\n")
        dropped = b"\r\n".join(l for l in lines if not l.startswith(b"ARC-Seal: i=1"))
        arc_cases.append((f"arc2-b{bi}-h{hi}-noseal", dropped, "a seal removed"))
with open(os.path.join(out, "expected-arc.tsv"), "w") as expected:
    expected.write("file\tdkimpy\tcase\n")
    for i, (tag, message, what) in enumerate(arc_cases):
        name = f"{tag}.eml"
        open(os.path.join(out, name), "wb").write(message)
        cv, _, _ = dkim.arc_verify(message, dnsfunc=dns)
        expected.write(f"{name}\t{cv.decode()}\t{what}\n")

with open(os.path.join(out, "expected.tsv"), "w") as expected:
    expected.write("file\tdkimpy\tcase\n")
    for i, (tag, message, what) in enumerate(cases):
        name = f"{i:03d}-{tag}.eml"
        open(os.path.join(out, name), "wb").write(message)
        verdict = dkim.verify(message, dnsfunc=dns)
        expected.write(f"{name}\t{'pass' if verdict else 'fail'}\t{what}\n")
with open(os.path.join(out, "keys.zone"), "w") as zone:
    for name, record in sorted(records.items()):
        strings = " ".join('"' + record[i:i + 255].decode() + '"' for i in range(0, len(record), 255)) if record else '""'
        zone.write(f"{name.decode()}. 300 IN TXT {strings}\n")
print(f"{len(cases)} DKIM and {len(arc_cases)} ARC messages written to {out}")
