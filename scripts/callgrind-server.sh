#!/usr/bin/env bash
# Instructions per request of the whole server (TLS, HTTP, routing, answer, log line; user
# space only, the kernel is not counted), as BENCHMARKS.md's "whole server" rows are taken:
#
#   scripts/callgrind-server.sh                       # /validate, 5,000 requests
#   scripts/callgrind-server.sh /mutate               # another endpoint
#   REQUESTS=20000 scripts/callgrind-server.sh        # more requests
#   BIN=/tmp/old/eastwest-guard scripts/callgrind-server.sh   # another build (no cargo build)
#
# Starts `eastwest-guard serve` on 127.0.0.1 under valgrind's callgrind, sends REQUESTS
# requests of the review (REVIEW, default benches/data/review-namespace-update.json) with
# `oha -n REQUESTS -c 25 --http-version 1.1`, stops the server with SIGTERM and divides the
# program's total by REQUESTS. Start-up, shutdown and the 25 TLS handshakes are included:
# about 7k instructions a request at 5,000 (/validate read 155.4k a request at 5,000 and
# 150.1k at 20,000, so 148.3k a request at the margin). The callgrind file is kept (its path is
# printed) for `callgrind_annotate`. Needs valgrind (Debian's package), python3 and curl;
# oha as scripts/loadtest.sh finds or installs it. Loopback only; bounded by REQUESTS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ENDPOINT=${1:-/validate}
REQUESTS=${REQUESTS:-5000}
REVIEW=${REVIEW:-$ROOT/benches/data/review-namespace-update.json}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
OUT=${OUT:-$ROOT/target/callgrind.server$(echo "$ENDPOINT" | tr / .).out}
# oha, the binary, a scratch directory, ports and a certificate.
source "$ROOT/scripts/lib/bench.sh"

echo "== serve under callgrind, $REQUESTS requests to $ENDPOINT"
valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN" serve \
  --listen "127.0.0.1:$PORT" --probe-listen "127.0.0.1:$PROBE" \
  --tls-cert "$WORK/certs/tls.crt" --tls-key "$WORK/certs/tls.key" \
  >"$WORK/server.log" 2>"$WORK/valgrind.log" &
SERVER_PID=$!
ready=
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PROBE/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { cat "$WORK/valgrind.log"; echo "server never became ready" >&2; exit 1; }
"$OHA" --no-tui --insecure --output-format json -n "$REQUESTS" -c 25 --http-version 1.1 \
  -m POST -H 'Content-Type: application/json' -D "$REVIEW" \
  "https://127.0.0.1:$PORT$ENDPOINT?timeout=10s" >"$WORK/oha.json"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=
python3 - "$WORK/oha.json" "$OUT" "$REQUESTS" <<'PY'
import json, re, sys
codes = json.load(open(sys.argv[1])).get("statusCodeDistribution", {})
total = None
for line in open(sys.argv[2]):
    m = re.match(r"(?:summary|totals): (\d+)", line)
    if m:
        total = int(m.group(1))
if total is None:
    sys.exit("no total in the callgrind output")
n = int(sys.argv[3])
print(f"responses: {codes}")
print(f"instructions: {total:,} in all, {total // n:,} a request ({n:,} requests)")
print(f"callgrind file: {sys.argv[2]}")
PY
