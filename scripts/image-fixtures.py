#!/usr/bin/env python3
"""Writes the image fixtures of Tests/MailsiftServerTests/Fixtures/images with Pillow (PyPI `pillow`, used only here):
one drawn picture as PNG, JPEG, GIF and WebP, and its altered copies (resized and recompressed, brightened), another
picture, and hostile files (a PNG announcing 60,000 x 60,000 pixels, half a JPEG).

Run: pip install pillow==11.0.0 && python3 scripts/image-fixtures.py
"""
import os, random, struct, zlib
from PIL import Image, ImageDraw, ImageEnhance

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "MailsiftServerTests", "Fixtures", "images")
os.makedirs(out, exist_ok=True)

def picture(seed):
    rng = random.Random(seed)
    img = Image.new("RGB", (400, 300))
    d = ImageDraw.Draw(img)
    for y in range(300):
        d.line([(0, y), (399, y)], fill=(rng.randrange(40, 60) + y // 3, 80, 160 - y // 3))
    for _ in range(12):
        x, y = rng.randrange(0, 360), rng.randrange(0, 260)
        w, h = rng.randrange(20, 140), rng.randrange(20, 100)
        colour = tuple(rng.randrange(0, 256) for _ in range(3))
        (d.rectangle if rng.random() < 0.5 else d.ellipse)([x, y, x + w, y + h], fill=colour)
    return img

base = picture(1)
base.save(os.path.join(out, "base.png"))
base.save(os.path.join(out, "base.jpg"), quality=90)
base.resize((200, 150), Image.LANCZOS).save(os.path.join(out, "small.jpg"), quality=60)
ImageEnhance.Brightness(base).enhance(1.08).save(os.path.join(out, "bright.png"))
base.convert("P", palette=Image.ADAPTIVE, colors=64).save(os.path.join(out, "base.gif"))
base.save(os.path.join(out, "base.webp"), quality=80)
picture(2).save(os.path.join(out, "other.png"))

# A PNG whose header announces 60,000 x 60,000 pixels, with a tiny IDAT: decoding must be refused from the header.
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
open(os.path.join(out, "huge.png"), "wb").write(huge)
whole = open(os.path.join(out, "base.jpg"), "rb").read()
open(os.path.join(out, "truncated.jpg"), "wb").write(whole[: len(whole) // 2])
print("written to", os.path.normpath(out))
