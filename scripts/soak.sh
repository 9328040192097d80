#!/usr/bin/env bash
# Soak and shutdown under load (issue 8): the release binary on 127.0.0.1, driven by oha.
#
#   scripts/soak.sh                      # 1,000,000 requests, then SIGTERM under load
#   REQUESTS=200000 scripts/soak.sh      # shorter
#
# 1. Memory: REQUESTS reviews (benches/data/review-namespace-update.json, ~4 KB, half to
#    /validate, half to /mutate) over HTTP/1.1 keep-alive with 25 connections, then over
#    HTTP/2; the server's resident memory (VmRSS) is sampled every second and printed at the
#    start (after 10,000 warm-up requests), the middle and the end, with the peak (VmHWM).
# 2. SIGTERM under load: oha sends for 6 s, SIGTERM at 3 s; the server must exit 0, log a
#    clean shutdown, and every review it handled (logged) must have reached oha as a 200.
#    (tests/server/shutdown.rs judges each request by uid; this is the same at oha's rate.)
# Loopback only; every phase is bounded by a request count or a duration.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REQUESTS=${REQUESTS:-1000000}
REVIEW=${REVIEW:-$ROOT/benches/data/review-namespace-update.json}
OHA=${OHA:-$(command -v oha || echo /tmp/oha-install/bin/oha)}
[ -x "$OHA" ] || { echo "oha not found: cargo install oha --locked (or set OHA=)" >&2; exit 1; }

cargo build --release --quiet --bin eastwest-guard
BIN=$ROOT/target/release/eastwest-guard
WORK=$(mktemp -d)
SERVER_PID=
SAMPLER_PID=
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$BIN" certs --out "$WORK/certs" --service eastwest-guard --namespace eastwest-guard-system >/dev/null

start_server() {
  PORT=$(free_port); PROBE=$(free_port)
  "$BIN" serve --listen "127.0.0.1:$PORT" --probe-listen "127.0.0.1:$PROBE" \
    --tls-cert "$WORK/certs/tls.crt" --tls-key "$WORK/certs/tls.key" "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 500); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PROBE/readyz" 2>/dev/null && return 0
    sleep 0.01
  done
  cat "$WORK/server.log" >&2; echo "server never became ready" >&2; exit 1
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
load() { # requests, path, oha args...
  local n=$1 path=$2; shift 2
  "$OHA" --no-tui --insecure --output-format json -n "$n" -m POST -H 'Content-Type: application/json' \
    -D "$REVIEW" "$@" "https://127.0.0.1:$PORT$path?timeout=10s"
}
summary() { python3 -c '
import json,sys
d=json.load(sys.stdin); s=d["summary"]; codes=d.get("statusCodeDistribution",{}); errs=d.get("errorDistribution",{})
rps=s["requestsPerSec"]; p50=d["latencyPercentiles"]["p50"]; p99=d["latencyPercentiles"]["p99"]
print(f"{sum(codes.values())} answered {codes} errors {errs} at {rps:.0f}/s, p50 {p50*1000:.2f} ms, p99 {p99*1000:.2f} ms")'; }

# --- 1. soak ------------------------------------------------------------------------------
# warn: a million request lines would measure the disk, not the server.
EASTWEST_GUARD_LOG=warn start_server --log-format json
echo "== soak: $REQUESTS requests (server pid $SERVER_PID)"
load 10000 /validate --http-version 1.1 -c 25 | summary >/dev/null
RSS_START=$(rss)
( while kill -0 "$SERVER_PID" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 1; done ) >"$WORK/rss" &
SAMPLER_PID=$!
quarter=$((REQUESTS / 4))
echo "   validate h1 c25: $(load $quarter /validate --http-version 1.1 -c 25 | summary)"
echo "   mutate   h1 c25: $(load $quarter /mutate --http-version 1.1 -c 25 | summary)"
RSS_MIDDLE=$(rss)
echo "   validate h2 4x25: $(load $quarter /validate --http2 -c 4 -p 25 | summary)"
echo "   mutate   h2 4x25: $(load $quarter /mutate --http2 -c 4 -p 25 | summary)"
RSS_END=$(rss)
sleep 2
RSS_IDLE=$(rss)
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
kill "$SAMPLER_PID"; SAMPLER_PID=
echo "   RSS KiB: start $RSS_START, middle $RSS_MIDDLE, end $RSS_END, idle after $RSS_IDLE, peak $HWM ($(wc -l <"$WORK/rss") samples: min $(sort -k2 -n "$WORK/rss" | head -1 | cut -d' ' -f2), max $(sort -k2 -n "$WORK/rss" | tail -1 | cut -d' ' -f2))"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=

# --- 2. SIGTERM under load ----------------------------------------------------------------
start_server --log-format json --drain-timeout 10s
echo "== SIGTERM under load (server pid $SERVER_PID)"
( sleep 3; kill -TERM "$SERVER_PID" ) &
"$OHA" --no-tui --insecure --output-format json -z 6s -m POST -H 'Content-Type: application/json' \
  -D "$REVIEW" --http-version 1.1 -c 25 "https://127.0.0.1:$PORT/validate?timeout=10s" >"$WORK/sigterm.json"
echo "   oha: $(summary <"$WORK/sigterm.json")"
answered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("statusCodeDistribution",{}).get("200",0))' "$WORK/sigterm.json")
set +e
wait "$SERVER_PID"; code=$?
set -e
SERVER_PID=
clean=$(grep -c '"shut down cleanly"' "$WORK/server.log" || true)
handled=$(grep -c '"admission review"' "$WORK/server.log" || true)
# Every review the server handled (logged) reached oha as a 200: none was lost in the drain.
# (Errors oha counts are requests the server never took in: connections closed after SIGTERM.)
echo "   exit status $code; clean shutdown logged: $clean; reviews handled $handled, answered $answered"
[ "$code" -eq 0 ] && [ "$clean" -eq 1 ] && [ "$handled" -eq "$answered" ] || { tail -5 "$WORK/server.log"; exit 1; }
