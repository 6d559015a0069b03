#!/usr/bin/env python3
"""Writes the attachment fixtures of Tests/MailsiftServerTests/Fixtures/attachments with Python's own zipfile, tarfile
and gzip (an implementation independent of the libarchive that Mailsift lists them with):

  archive-exe.zip   a program with a double extension beside a text file
  nested.zip        a zip inside a zip, the inner one holding a script
  encrypted.zip     an entry flagged as encrypted (general purpose bit 0)
  bomb.zip          20 MB of zeros deflated (a ratio of about 1,000)
  bomb.tar.gz       a 100 MB entry of zeros (listing must stop without unpacking it)
  many.zip          2,500 empty entries (listing must stop at its limit)
  truncated.zip     the first half of archive-exe.zip
  macro.docm        an OOXML document with word/vbaProject.bin
  macro.doc         an OLE compound file with a _VBA_PROJECT directory entry
  active.pdf        a PDF with an OpenAction running JavaScript, and a link
  plain.pdf         a PDF without active content
  invoice.pdf.bin   a PE program (to be attached as invoice.pdf)

Run: python3 scripts/attachment-fixtures.py
"""
import gzip, io, os, struct, tarfile, zipfile

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "MailsiftServerTests", "Fixtures", "attachments")
os.makedirs(out, exist_ok=True)

def path(name):
    return os.path.join(out, name)

def pe():
    # A DOS header whose e_lfanew points at a PE signature and a minimal COFF header (i386, executable image).
    dos = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 60)
    struct.pack_into("<I", dos, 0x3C, 0x40)
    coff = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x0102)
    return bytes(dos) + coff + b"\x00" * 0xE0 + b"This program cannot be run in DOS mode.\r\n"

def fixed(info):
    info.date_time = (2020, 1, 1, 0, 0, 0)
    return info

with zipfile.ZipFile(path("archive-exe.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(fixed(zipfile.ZipInfo("invoice.pdf.exe")), pe())
    z.writestr(fixed(zipfile.ZipInfo("readme.txt")), "Open the invoice.\n")

inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(fixed(zipfile.ZipInfo("run.js")), "WScript.Echo('hi');\n")
with zipfile.ZipFile(path("nested.zip"), "w", zipfile.ZIP_STORED) as z:
    z.writestr(fixed(zipfile.ZipInfo("documents.zip")), inner.getvalue())

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    z.writestr(fixed(zipfile.ZipInfo("secret.doc")), b"\x00" * 64)
data = bytearray(buf.getvalue())
# Set the encryption flag in the local header (offset 6) and in the central directory entry.
struct.pack_into("<H", data, 6, struct.unpack_from("<H", data, 6)[0] | 1)
cd = data.find(b"PK\x01\x02")
struct.pack_into("<H", data, cd + 8, struct.unpack_from("<H", data, cd + 8)[0] | 1)
open(path("encrypted.zip"), "wb").write(data)

with zipfile.ZipFile(path("bomb.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(fixed(zipfile.ZipInfo("zeros.bin")), b"\x00" * (20 << 20), compress_type=zipfile.ZIP_DEFLATED)

tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode="w") as t:
    info = tarfile.TarInfo("zeros.bin")
    info.size = 100 << 20
    info.mtime = 1577836800

    class Zeros(io.RawIOBase):
        def __init__(self, n): self.n = n
        def readable(self): return True
        def readinto(self, b):
            k = min(len(b), self.n); b[:k] = b"\x00" * k; self.n -= k; return k
    t.addfile(info, io.BufferedReader(Zeros(info.size)))
    second = tarfile.TarInfo("setup.exe"); second.size = 0; second.mtime = 1577836800
    t.addfile(second, io.BytesIO(b""))
open(path("bomb.tar.gz"), "wb").write(gzip.compress(tar.getvalue(), mtime=0))

with zipfile.ZipFile(path("many.zip"), "w", zipfile.ZIP_STORED) as z:
    for i in range(2500):
        z.writestr(fixed(zipfile.ZipInfo(f"f{i}.txt")), b"")

whole = open(path("archive-exe.zip"), "rb").read()
open(path("truncated.zip"), "wb").write(whole[: len(whole) // 2])

with zipfile.ZipFile(path("macro.docm"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(fixed(zipfile.ZipInfo("[Content_Types].xml")),
               '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')
    z.writestr(fixed(zipfile.ZipInfo("word/document.xml")), "<w:document/>")
    z.writestr(fixed(zipfile.ZipInfo("word/vbaProject.bin")), b"\xd0\xcf\x11\xe0" + b"\x00" * 60)

# An OLE compound file: the header, then a directory sector naming the root, VBA and _VBA_PROJECT (UTF-16LE).
header = bytearray(512)
header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
struct.pack_into("<HHH", header, 24, 0x3E, 3, 0xFFFE)
struct.pack_into("<H", header, 30, 9)
def entry(name):
    e = bytearray(128)
    u = name.encode("utf-16-le")
    e[0:len(u)] = u
    struct.pack_into("<H", e, 64, len(u) + 2)
    return bytes(e)
directory = entry("Root Entry") + entry("Macros") + entry("VBA") + entry("_VBA_PROJECT")
open(path("macro.doc"), "wb").write(bytes(header) + directory)

open(path("active.pdf"), "wb").write(
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert('hi');) >> >> endobj\n"
    b"2 0 obj << /A << /S /URI /URI (http://evil.example/pay) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
open(path("plain.pdf"), "wb").write(
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count 0 /Kids [] >> endobj\n"
    b"trailer << /Root 1 0 R /Info << /JSON (not a script) >> >>\n%%EOF\n")
open(path("invoice.pdf.bin"), "wb").write(pe())
print("written to", os.path.normpath(out))
