#!/usr/bin/env bash
# Load benchmark of the webhook (issue 7): the release binary on loopback, driven by oha.
#
#   scripts/loadtest.sh                 # every scenario, 10 s each
#   DURATION=30s scripts/loadtest.sh    # longer runs
#   FLOOR=1 scripts/loadtest.sh         # also the same load against nginx returning a constant
#   REVIEW=my-review.json scripts/loadtest.sh   # another AdmissionReview body
#   BIN=/tmp/old/eastwest-guard scripts/loadtest.sh  # another build (no cargo build)
#   ONLY='h1 c25 2000rps' scripts/loadtest.sh     # only the scenarios whose name matches (bash regex)
#
# Needs bash 5 and python3; oha is used from PATH if there, else installed from crates.io into
# target/tools once; FLOOR=1 needs nginx (Debian's nginx-light).
#
# Starts `eastwest-guard serve` on 127.0.0.1 with a certificate from `eastwest-guard certs`,
# measures the time to ready and idle memory, then drives /validate and /mutate with a
# realistic review (benches/data/review-namespace-update.json: a Namespace UPDATE with
# managedFields, about 4 KB) over HTTP/1.1 keep-alive with 25 connections (as kube-apiserver
# pools them) and over HTTP/2, at maximum rate and at a fixed 2,000 requests per second.
# Prints requests per second, p50/p99/p99.9 latency, errors, the server's CPU time per
# answered request, and its peak resident memory. Loopback only; every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-10s}
REVIEW=${REVIEW:-$ROOT/benches/data/review-namespace-update.json}
# oha, the binary, a scratch directory, ports and a certificate.
source "$ROOT/scripts/lib/bench.sh"
: >"$WORK/runs"

# --- start, time to ready, idle memory ------------------------------------------------------
# /readyz is polled with bash's own /dev/tcp and $EPOCHREALTIME: no process is started per
# poll, so the figure is the server's start-up and not the poller's (a `curl` a millisecond
# added up to tens of milliseconds in slow spells of the VM).
ready_probe() {
  exec 3<>"/dev/tcp/127.0.0.1/$PROBE" || return 1
  printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  local status=
  IFS= read -r -t 1 status <&3 || true
  exec 3<&- 3>&-
  [[ $status == "HTTP/1.1 200"* ]]
}
start_us=${EPOCHREALTIME/./}
"$BIN" serve --listen "127.0.0.1:$PORT" --probe-listen "127.0.0.1:$PROBE" \
  --tls-cert "$WORK/certs/tls.crt" --tls-key "$WORK/certs/tls.key" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
ready_us=
deadline=$(( start_us + 10000000 ))
while [ "${EPOCHREALTIME/./}" -lt "$deadline" ] && kill -0 "$SERVER_PID" 2>/dev/null; do
  if ready_probe 2>/dev/null; then
    ready_us=${EPOCHREALTIME/./}
    break
  fi
done
[ -n "$ready_us" ] || { cat "$WORK/server.log"; echo "server exited or was not ready within 10 s" >&2; exit 1; }
ready_ms=$(awk -v us=$(( ready_us - start_us )) 'BEGIN { printf "%.1f", us / 1000 }')
sleep 1
idle_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")

# --- scenarios ------------------------------------------------------------------------------
# The server's CPU time (user + system, clock ticks) so far; empty when it is not ours (nginx).
cpu_ticks() {
  [ -n "$SERVER_PID" ] && awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || true
}
run() { # name, path, oha args...
  local name=$1 path=$2 before after
  shift 2
  if [ -n "${ONLY:-}" ] && ! [[ $name =~ $ONLY ]]; then
    return 0
  fi
  before=$(cpu_ticks)
  "$OHA" --no-tui --insecure --output-format json -z "$DURATION" -w -m POST \
    -H 'Content-Type: application/json' -D "$REVIEW" "$@" \
    "https://127.0.0.1:$PORT$path?timeout=10s" >"$WORK/$name.json"
  after=$(cpu_ticks)
  # Server CPU per request is steadier than requests per second on a shared machine.
  if [ -n "$before" ] && [ -n "$after" ]; then
    echo "$((after - before)) $(getconf CLK_TCK)" >"$WORK/$name.cpu"
  fi
  echo "$name" >>"$WORK/runs"
}
echo "== scenarios of $DURATION each (server pid $SERVER_PID, review $(wc -c <"$REVIEW") bytes)"
run "validate h1 c25 max" /validate --http-version 1.1 -c 25
run "validate h1 c25 2000rps" /validate --http-version 1.1 -c 25 -q 2000 --latency-correction
run "mutate h1 c25 max" /mutate --http-version 1.1 -c 25
run "mutate h1 c25 2000rps" /mutate --http-version 1.1 -c 25 -q 2000 --latency-correction
run "validate h2 c4x25 max" /validate --http2 -c 4 -p 25
run "validate h2 c4x25 2000rps" /validate --http2 -c 4 -p 25 -q 2000 --latency-correction
run "mutate h2 c4x25 max" /mutate --http2 -c 4 -p 25
run "mutate h2 c4x25 2000rps" /mutate --http2 -c 4 -p 25 -q 2000 --latency-correction
peak_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")

# --- the floor: what this machine and load tool allow at all ----------------------------------
# FLOOR=1 repeats the /validate scenarios (HTTP/1.1 and HTTP/2, maximum rate and 2,000 req/s)
# against nginx (Debian's nginx-light; it must be installed) on the same certificate,
# answering every POST with a constant AdmissionReview without reading JSON: TLS, HTTP and the
# load tool only, no webhook work. The guard cannot beat these figures on the same machine.
if [ "${FLOOR:-0}" = 1 ]; then
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] || { echo "FLOOR=1 needs nginx (apt-get install nginx-light)" >&2; exit 1; }
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  NPORT=$(free_port)
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<NGX
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NPORT ssl http2;
    ssl_certificate $WORK/certs/tls.crt;
    ssl_certificate_key $WORK/certs/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 100000000;
    client_max_body_size 1m;
    location / {
      default_type application/json;
      return 200 '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}}';
    }
  }
}
NGX
  "$NGINX" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
  trap 'kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null; cleanup' EXIT
  PORT=$NPORT
  run "floor: nginx h1 c25 max" /validate --http-version 1.1 -c 25
  run "floor: nginx h1 c25 2000rps" /validate --http-version 1.1 -c 25 -q 2000 --latency-correction
  run "floor: nginx h2 c4x25 max" /validate --http2 -c 4 -p 25
  run "floor: nginx h2 c4x25 2000rps" /validate --http2 -c 4 -p 25 -q 2000 --latency-correction
fi

python3 - "$WORK" <<'PY'
import json, sys, os
work = sys.argv[1]
print(f"{'scenario':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'non-200':>8} {'cpu us/req':>10}")
for name in open(os.path.join(work, "runs")).read().split("\n"):
    if not name:
        continue
    r = json.load(open(os.path.join(work, name + ".json")))
    s, p = r["summary"], r["latencyPercentiles"]
    codes = r.get("statusCodeDistribution", {})
    bad = sum(v for k, v in codes.items() if k != "200") + sum(r.get("errorDistribution", {}).values())
    ms = lambda v: (v or 0) * 1000
    ok = codes.get("200", 0)
    cpu = "-"
    cpu_file = os.path.join(work, name + ".cpu")
    if os.path.exists(cpu_file) and ok:
        ticks, hz = (int(x) for x in open(cpu_file).read().split())
        cpu = f"{ticks / hz * 1e6 / ok:.0f}"
    print(f"{name:<28} {s['requestsPerSec']:>9.0f} {ms(p['p50']):>8.3f} {ms(p['p99']):>8.3f} {ms(p['p99.9']):>9.3f} {bad:>8} {cpu:>10}")
PY
echo "ready after start: ${ready_ms} ms (process start to the first 200 from /readyz, polled continuously)"
echo "resident memory: idle $((idle_kib / 1024)).$(( (idle_kib % 1024) * 10 / 1024 )) MiB, peak $((peak_kib / 1024)).$(( (peak_kib % 1024) * 10 / 1024 )) MiB"
