#!/usr/bin/env bash
# EW007 against libyaml and a model of the agent's line fallback (.ci/checks/yaml_oracle.py):
# 10,000 generated cloud-annotations texts; a text libyaml refuses that the guard lets through
# (unless only blank lines and comments the fallback reads nothing from), EW007 on a text
# libyaml reads as nothing, or an EW007 warning where the fallback loses a line fails the
# check. Installs a pinned PyYAML (its wheels carry libyaml) in a venv under target/ (reused
# next time).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

die() { printf 'yaml-oracle check FAILED: %s\n' "$*" >&2; exit 1; }

PYYAML="PyYAML==6.0.3"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=$TARGET_DIR/ci-tools/yaml-oracle-venv
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$PYYAML" ]; then
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV" || die "python3 -m venv failed (the deploy check installs python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$PYYAML" \
    || die "pip install $PYYAML failed"
  printf '%s' "$PYYAML" >"$VENV/.installed"
fi

cargo build --quiet --bin eastwest-guard
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" .ci/checks/yaml_oracle.py \
  "$TARGET_DIR/debug/eastwest-guard" 2500 1 2 3 4
