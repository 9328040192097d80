#!/usr/bin/env python3
"""Peak memory of the webhook while many clients send large reviews at once.

usage: scripts/large-bodies.py BINARY [CLIENTS=16] [BODY_BYTES=7900000] [ROUNDS=3]

Starts BINARY serve on 127.0.0.1 (free ports, its own self-signed certificate), sends ROUNDS
rounds of CLIENTS concurrent POST /validate requests, each a copy of
examples/review-namespace-denied.json padded with an annotation to about BODY_BYTES, then
prints the answers' status codes (or "closed while sending" for a request refused before its
whole body was sent) and the server's peak resident memory (VmHWM). Loopback only,
bounded by CLIENTS x ROUNDS requests; the server is stopped at the end. BENCHMARKS.md
("memory with many large bodies at once") has its figures.
"""

import collections
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary = sys.argv[1]
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 7_900_000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    port, probe = free_port(), free_port()
    work = tempfile.mkdtemp(prefix="large-bodies.")
    cert = os.path.join(work, "cert.pem")
    server = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--probe-listen", f"127.0.0.1:{probe}",
         "--self-signed-cert-out", cert, "--log-format", "text"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{probe}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("server never became ready")
        with open(os.path.join(ROOT, "examples/review-namespace-denied.json")) as f:
            review = json.load(f)
        review["request"]["object"]["metadata"]["annotations"]["pad"] = "x" * size
        body = json.dumps(review).encode()
        context = ssl.create_default_context(cafile=cert)
        codes = collections.Counter()
        lock = threading.Lock()

        def send():
            c = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
            try:
                c.request("POST", "/validate", body, {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                outcome = r.status
            except OSError:
                # Refused (503) before the whole body was sent: the server answers and closes
                # while the client is still writing, so the client sees a broken connection.
                outcome = "closed while sending"
            with lock:
                codes[outcome] += 1

        for _ in range(rounds):
            threads = [threading.Thread(target=send) for _ in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        with open(f"/proc/{server.pid}/status") as f:
            status = f.read()
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        print(f"{clients} clients x {rounds} rounds, {len(body):,}-byte reviews: "
              f"answers {dict(codes)}, peak resident memory {hwm:.1f} MiB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
