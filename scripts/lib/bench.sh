# shellcheck shell=bash
# Shared set-up of scripts/loadtest.sh and scripts/callgrind-server.sh (sourced, not run).
# Expects ROOT (the checkout). Sets OHA, BIN, WORK (removed on exit with the server, whose pid
# the caller puts in SERVER_PID), PORT and PROBE (free loopback ports), and makes a serving
# certificate in $WORK/certs with `eastwest-guard certs`.

OHA_VERSION=1.16.0
TOOLS=$ROOT/target/tools

# oha: the one on PATH, else installed from crates.io into target/tools once.
OHA=$(command -v oha || true)
if [ -z "$OHA" ]; then
  OHA=$TOOLS/bin/oha
  if [ ! -x "$OHA" ]; then
    echo "== installing oha $OHA_VERSION from crates.io into $TOOLS (once)"
    cargo install oha --locked --version "$OHA_VERSION" --root "$TOOLS" --quiet
  fi
fi

# The binary: BIN if given (another build, no cargo build), else the release build.
if [ -n "${BIN:-}" ]; then
  [ -x "$BIN" ] || { echo "BIN=$BIN is not an executable" >&2; exit 1; }
  echo "== using $BIN"
else
  echo "== building the release binary"
  cargo build --release --quiet --bin eastwest-guard
  BIN=$ROOT/target/release/eastwest-guard
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$BIN" certs --out "$WORK/certs" --service eastwest-guard --namespace eastwest-guard-system >/dev/null
# shellcheck disable=SC2034 # for the script that sources this file
PORT=$(free_port)
# shellcheck disable=SC2034
PROBE=$(free_port)
