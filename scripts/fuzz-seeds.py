#!/usr/bin/env python3
"""Seeds for the request fuzzer (Fuzz/RequestFuzzer.swift): each file is a selector byte (0 spamd, 1 milter,
2 batch, 3 feedback), a piece-size byte, then a request as a client sends it.   scripts/fuzz-seeds.py DIR"""
import base64
import json
import os
import struct
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
messages = [open(os.path.join(root, "examples", f), "rb").read() for f in ("ham.eml", "phishing.eml")]
seeds = []
for m in messages:
    for command in (b"CHECK", b"SYMBOLS", b"REPORT", b"PROCESS", b"HEADERS"):
        seeds.append((0, b"%s SPAMC/1.5\r\nContent-length: %d\r\nUser: bob\r\n\r\n" % (command, len(m)) + m))
    seeds.append((0, b"CHECK SPAMC/1.2\r\n\r\n" + m))
seeds += [(0, b"PING SPAMC/1.5\r\n\r\n"), (0, b"PING SPAMC/1.5\r\n"), (0, b"TELL SPAMC/1.5\r\nMessage-class: spam\r\nSet: local\r\n\r\n")]


def packet(command, data=b""):
    return struct.pack(">I", len(data) + 1) + command + data


for m in messages:
    head, _, body = m.replace(b"\r\n", b"\n").partition(b"\n\n")
    conversation = packet(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)) + packet(b"D", b"Cj\0mx.example.com\0")
    conversation += packet(b"C", b"client.example.org\0" + b"4" + struct.pack(">H", 25) + b"198.51.100.7\0")
    conversation += packet(b"H", b"client.example.org\0") + packet(b"M", b"<a@example.org>\0SIZE=100\0")
    conversation += packet(b"R", b"<b@example.com>\0") + packet(b"T")
    for line in head.split(b"\n"):
        if b":" in line:
            name, _, value = line.partition(b":")
            conversation += packet(b"L", name + b"\0" + value.strip() + b"\0")
    conversation += packet(b"N") + packet(b"B", body) + packet(b"E") + packet(b"A") + packet(b"Q")
    seeds.append((1, conversation))
for m in messages:
    seeds.append((2, json.dumps({"messages": [{"id": "1", "message": base64.b64encode(m).decode(),
                                               "envelope": {"client_ip": "198.51.100.7", "helo": "h", "mail_from": "a@b", "recipients": ["c@d"], "user": "u"}}]}).encode()))
seeds.append((3, b'{"message_id": "<m@x>", "user": "bob", "label": "spam", "time": 1800000000}'))
seeds.append((3, b'[{"message_id": "<m@x>", "user": "bob", "label": "ham"}, {"message_id": "y", "user": "u", "label": "spam", "time": -1}]'))
for i, (selector, data) in enumerate(seeds):
    for piece in (0, 4, 255):
        with open(os.path.join(out, "seed-%03d-%d" % (i, piece)), "wb") as f:
            f.write(bytes([selector, piece]) + data)
