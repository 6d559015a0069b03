#!/usr/bin/env python3
"""The adversarial suite at full size (docs/threat_model.md): starts `mailsift serve` with HTTP, spamd and
milter listeners on 127.0.0.1, runs each attack for --seconds while a probe client classifies
examples/phishing.eml and examples/ham.eml once a second over each protocol, and reports for each attack
whether every probe got the right action, the probes' p50/p99 latency, the server's peak RSS and what its
metrics counted (fallbacks, breaker state, connections cut). Attackers connect from 127.0.0.2 and up, the
probes from 127.0.0.1 (all of 127.0.0.0/8 is this machine). Only loopback traffic; every loop is bounded.

    scripts/attack.py [--binary PATH] [--seconds 60] [--attacks slow_bodies,slowloris,...]

The tests run a reduced form of the same attacks (Tests/MailsiftServerTests/AttackTests.swift).
"""
import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHISHING = open(os.path.join(ROOT, "examples/phishing.eml"), "rb").read()
HAM = open(os.path.join(ROOT, "examples/ham.eml"), "rb").read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def connect(port, source="127.0.0.1", timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_all(s, deadline=5.0, done=None):
    out = b""
    end = time.time() + deadline
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if done and done(out):
            break
    return out


# --- probes -------------------------------------------------------------------------------------------

def probe_http(port, message):
    s = connect(port)
    try:
        s.sendall(b"POST /v1/classify?reasons=0 HTTP/1.1\r\nHost: probe\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(message) + message)
        reply = read_all(s)
    finally:
        s.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    try:
        return json.loads(body).get("action")
    except ValueError:
        return head.split(b"\r\n")[0].decode(errors="replace") or None


def probe_spamd(port, message):
    s = connect(port)
    try:
        s.sendall(b"CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(message) + message)
        reply = read_all(s)
    finally:
        s.close()
    if b"Spam: True" in reply:
        return "spam"
    if b"Spam: False" in reply:
        return "ham"
    return reply.split(b"\r\n")[0].decode(errors="replace") or None


def milter_packet(command, data=b""):
    return struct.pack(">I", len(data) + 1) + command + data


def milter_decision(data):
    i, quarantined = 0, False
    while len(data) - i >= 5:
        (length,) = struct.unpack(">I", data[i:i + 4])
        if len(data) - i < 4 + length:
            return None
        command, payload = data[i + 4:i + 5], data[i + 5:i + 4 + length]
        if command == b"q":
            quarantined = True
        elif command == b"a":
            return "quarantine" if quarantined else "accept"
        elif command == b"y":
            return "reject" if payload.startswith(b"550") else "tempfail"
        i += 4 + length
    return None


def milter_conversation(message):
    head, _, body = message.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\r\n" + line
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append([name, value.lstrip(b" ")])
    out = milter_packet(b"O", struct.pack(">III", 6, 0x1FF, 0))
    out += milter_packet(b"C", b"client.example.org\0" + b"4" + struct.pack(">H", 8080) + b"198.51.100.7\0")
    out += milter_packet(b"M", b"<sender@example.org>\0") + milter_packet(b"R", b"<customer@example.org>\0")
    for name, value in fields:
        out += milter_packet(b"L", name + b"\0" + value + b"\0")
    out += milter_packet(b"N")
    body = body.replace(b"\n", b"\r\n")
    for i in range(0, len(body), 65535):  # as an MTA sends it: chunks of at most 64 KiB
        out += milter_packet(b"B", body[i:i + 65535])
    out += milter_packet(b"E")
    return out


def probe_milter(port, message):
    s = connect(port)
    try:
        s.sendall(milter_conversation(message))
        reply = read_all(s, done=lambda b: milter_decision(b) is not None)
    finally:
        s.close()
    return milter_decision(reply)


PROBES = [
    ("http", "phishing", probe_http, PHISHING, "reject"), ("http", "ham", probe_http, HAM, "inbox"),
    ("spamd", "phishing", probe_spamd, PHISHING, "spam"), ("spamd", "ham", probe_spamd, HAM, "ham"),
    ("milter", "phishing", probe_milter, PHISHING, "reject"), ("milter", "ham", probe_milter, HAM, "accept"),
]


def prober(ports, stop, results):
    """Once a second, each protocol with each message; records (protocol, message, ok, seconds, got)."""
    while not stop.is_set():
        tick = time.time()
        for protocol, name, ask, message, expected in PROBES:
            start = time.time()
            try:
                got = ask(ports[protocol], message)
            except OSError as e:
                got = "error: %s" % e
            results.append((protocol, name, got == expected, time.time() - start, got))
        stop.wait(max(0.0, 1.0 - (time.time() - tick)))


# --- attacks ------------------------------------------------------------------------------------------

def source(i):
    return "127.0.0.%d" % (2 + i % 200)


def trickle(port, head, stop, i, every=1.0):
    """Sends `head`, then one byte every `every` seconds; reconnects when the server cuts it."""
    while not stop.is_set():
        try:
            s = connect(port, source(i))
            s.sendall(head)
            while not stop.wait(every):
                s.sendall(b"x")
        except OSError:
            pass
        finally:
            try:
                s.close()
            except Exception:
                pass
        stop.wait(0.2)


def slow_bodies(ports, stop, threads):
    heads = {
        "http": b"POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n",
        "spamd": b"CHECK SPAMC/1.5\r\nContent-length: 1000000\r\n\r\n",
        "milter": milter_packet(b"O", struct.pack(">III", 6, 0x1FF, 0)) + struct.pack(">I", 60001) + b"B",
    }
    for protocol, head in heads.items():
        for i in range(64):
            threads.append(threading.Thread(target=trickle, args=(ports[protocol], head, stop, i), daemon=True))


def slowloris(ports, stop, threads):
    """Request heads one byte a second (never finished)."""
    heads = {"http": b"POST /v1/classify HTTP/1.1\r\nHost: a\r\nX-Padding: ", "spamd": b"CHECK SPAMC/1.5\r\nX-Padding: ", "milter": b"\x00\x00"}
    for protocol, head in heads.items():
        for i in range(64):
            threads.append(threading.Thread(target=trickle, args=(ports[protocol], head, stop, i), daemon=True))


def crafted_messages():
    base = b"From: a@example.org\r\nSubject: hi\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <x@example.org>\r\n"
    line = b", ".join(b"user%d@host%d.example.com" % (i, i % 997) for i in range(2700))[:63000]
    to = base + b"".join(b"To: " + line + b"\r\n" for _ in range(110)) + b"\r\nhi\r\n"
    href = base + b"Content-Type: text/html\r\n\r\n<html><body><a href=\"" + b"x" * 5_000_000
    nest = base + b"Content-Type: text/html\r\n\r\n" + b"<div>" * 1_000_000
    return [to, href, nest]


def crafted(ports, stop, threads, parallel=1):
    """The messages that tripped the breaker: 7 MB of To: addresses, a 5 MB unclosed href, HTML nested a million
    deep; back to back, each in turn as a batch of six (HTTP), over spamd, over milter and alone over HTTP.
    `parallel` attackers at once (each saturates about one core)."""
    messages = crafted_messages()
    import base64
    batch = json.dumps({"messages": [{"id": str(i), "message": base64.b64encode(messages[i % 2]).decode()} for i in range(6)]}).encode()

    def loop(i):
        n = i
        while not stop.is_set():
            n += 1
            kind, m = n % 4, messages[n % len(messages)]
            try:
                if kind == 0:
                    s = connect(ports["http"], source(i), timeout=30)
                    s.sendall(b"POST /v1/classify/batch HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(batch) + batch)
                elif kind == 1:
                    s = connect(ports["spamd"], source(i), timeout=30)
                    s.sendall(b"CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(m) + m)
                elif kind == 2:
                    s = connect(ports["milter"], source(i), timeout=30)
                    s.sendall(milter_conversation(m))
                else:
                    s = connect(ports["http"], source(i), timeout=30)
                    s.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(m) + m)
                read_all(s, deadline=30, done=(lambda b: milter_decision(b) is not None) if kind == 2 else None)
                s.close()
            except OSError:
                stop.wait(0.1)

    for i in range(parallel):
        threads.append(threading.Thread(target=loop, args=(i,), daemon=True))


def crafted_parallel(ports, stop, threads):
    crafted(ports, stop, threads, parallel=4)


def repeat(port, head, piece, count, stop, threads, connections):
    """`connections` attackers, each sending `head` and then `piece` `count` times, over and over."""
    def loop(i):
        while not stop.is_set():
            try:
                s = connect(port, source(i), timeout=10)
                s.sendall(head)
                for _ in range(count):
                    if stop.is_set():
                        break
                    s.sendall(piece)
                s.close()
            except OSError:
                stop.wait(0.05)

    for i in range(connections):
        threads.append(threading.Thread(target=loop, args=(i,), daemon=True))


def milter_recipients(ports, stop, threads):
    """RCPT packets of 1 MiB, 1,300 a connection, two connections at a time."""
    head = milter_packet(b"O", struct.pack(">III", 6, 0x1FF, 0)) + milter_packet(b"M", b"<a@b>\0")
    repeat(ports["milter"], head, milter_packet(b"R", b"<" + b"r" * ((1 << 20) - 8) + b">\0"), 1300, stop, threads, 2)


def tiny_chunks(ports, stop, threads):
    """10 MB bodies in 1-byte chunks (160 sends of 65,536 chunks), four connections at a time."""
    head = b"POST /v1/classify HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    repeat(ports["http"], head, b"1\r\nx\r\n" * 65536, 160, stop, threads, 4)


def flood(ports, stop, threads):
    """128 connections classifying ham as fast as they can (keep-alive), from 32 addresses: whole, fast requests
    that fill max_concurrent_requests (out of scope for the limits: docs/threat_model.md)."""
    message = HAM

    def loop(i):
        while not stop.is_set():
            try:
                s = connect(ports["http"], source(i % 32), timeout=10)
                while not stop.is_set():
                    s.sendall(b"POST /v1/classify?reasons=0 HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(message) + message)
                    reply = read_all(s, deadline=10, done=lambda b: b"\r\n\r\n" in b and b.endswith(b"}"))
                    if not reply:
                        break
                s.close()
            except OSError:
                stop.wait(0.05)

    for i in range(128):
        threads.append(threading.Thread(target=loop, args=(i,), daemon=True))


ATTACKS = {"slow_bodies": slow_bodies, "slowloris": slowloris, "crafted": crafted, "crafted_parallel": crafted_parallel,
           "milter_recipients": milter_recipients,
           "tiny_chunks": tiny_chunks, "flood": flood}


# --- the run ------------------------------------------------------------------------------------------

def rss_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def metrics(port):
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith(("mailsift_fallbacks_total", "mailsift_circuit_breaker_state", "mailsift_connections_cut_total",
                            "mailsift_over_budget_total", "mailsift_rejected_requests_total")):
            name, _, value = line.rpartition(" ")
            if float(value) != 0:
                out[name] = float(value)
    return out


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def run_attack(binary, name, seconds):
    ports = {"http": free_port(), "spamd": free_port(), "milter": free_port()}
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([binary, "serve", "--port", str(ports["http"]), "--spamd-port", str(ports["spamd"]),
                               "--milter-port", str(ports["milter"])], stdout=log, stderr=log)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/readyz" % ports["http"], timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        stop, results, threads = threading.Event(), [], []
        if name != "none":
            ATTACKS[name](ports, stop, threads)
        for t in threads:
            t.start()
        time.sleep(1)  # under way
        probe = threading.Thread(target=prober, args=(ports, stop, results), daemon=True)
        peak = 0
        probe.start()
        end = time.time() + seconds
        while time.time() < end:
            peak = max(peak, rss_kb(server.pid))
            time.sleep(0.25)
        counted = metrics(ports["http"])
        stop.set()
        probe.join(10)
        for t in threads:
            t.join(0.1)
        wrong = [r for r in results if not r[2]]
        report = {"attack": name, "seconds": seconds, "probes": len(results), "wrong": len(wrong),
                  "wrong_examples": [("%s %s: %s" % (r[0], r[1], r[4])) for r in wrong[:5]],
                  "peak_rss_mb": round(peak / 1024, 1), "server_alive": server.poll() is None, "metrics": counted}
        for protocol in ("http", "spamd", "milter"):
            times = [r[3] for r in results if r[0] == protocol]
            report["%s_p50_ms" % protocol] = round(1000 * percentile(times, 0.5), 1)
            report["%s_p99_ms" % protocol] = round(1000 * percentile(times, 0.99), 1)
        return report
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mailsift"))
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--attacks", default="none," + ",".join(ATTACKS))
    args = parser.parse_args()
    failed = False
    for name in args.attacks.split(","):
        report = run_attack(args.binary, name, args.seconds)
        print(json.dumps(report), flush=True)
        failed |= report["wrong"] > 0 or not report["server_alive"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
