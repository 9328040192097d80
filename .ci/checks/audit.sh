#!/usr/bin/env bash
# Dependency audit (issue 8), run by .ci/run after cargo test: Cargo.lock (and fuzz/Cargo.lock)
# against the RustSec advisory database with cargo-audit, failing on any vulnerability and on
# warnings (unmaintained, yanked, unsound) not accepted below.
#
# The database is a git repository on GitHub. Where it cannot be had (this project's machines
# and CI reach only the package registries), the audit is SKIPPED with a message saying so,
# rather than failing every run; nothing on crates.io, PyPI, npm or Debian ships the database
# (checked for issue 8). To audit offline, put a checkout of the advisory-db repository at
# $RUSTSEC_DB (or target/ci-tools/advisory-db) and rerun: it is then used without fetching.
#
# cargo-audit is installed from crates.io (pinned, --locked) into target/ci-tools/cargo-audit
# when the database is there to use, and reused next time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=$TARGET_DIR/ci-tools
CARGO_AUDIT_VERSION=0.22.2
DB_URL=https://github.com/RustSec/advisory-db
DB=${RUSTSEC_DB:-$TOOLS/advisory-db}

say() { printf '== audit: %s\n' "$*"; }

# Accepted advisories, each with why (none today). Format: --ignore RUSTSEC-YYYY-NNNN
#   (example) --ignore RUSTSEC-0000-0000  # reason: not reachable from our use of the crate
IGNORES=()

# --- the database -------------------------------------------------------------------------
if [ -d "$DB/.git" ] || { [ -f "$DB/README.md" ] && [ -d "$DB/crates" ]; }; then
  say "advisory database at $DB"
  FETCH=(--no-fetch)
else
  # No attempt to fetch it: this project's machines and CI reach only the package registries,
  # and nothing here contacts any other address.
  say "SKIPPED: no local copy of the RustSec advisory database ($DB_URL) at \$RUSTSEC_DB or"
  say "SKIPPED: $TOOLS/advisory-db, and this machine reaches only package registries: dependencies NOT audited"
  exit 0
fi

# --- cargo-audit --------------------------------------------------------------------------
AUDIT=$TOOLS/cargo-audit/bin/cargo-audit
if [ ! -x "$AUDIT" ] || ! "$AUDIT" audit --version 2>/dev/null | grep -q "$CARGO_AUDIT_VERSION"; then
  say "installing cargo-audit $CARGO_AUDIT_VERSION from crates.io into $TOOLS/cargo-audit"
  cargo install cargo-audit --locked --version "$CARGO_AUDIT_VERSION" --root "$TOOLS/cargo-audit" --quiet
fi

for lock in Cargo.lock fuzz/Cargo.lock; do
  [ -f "$lock" ] || continue
  say "cargo audit $lock"
  "$AUDIT" audit --db "$DB" "${FETCH[@]}" --deny warnings --file "$lock" "${IGNORES[@]}"
done
say "ok"
