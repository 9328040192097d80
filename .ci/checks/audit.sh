#!/usr/bin/env bash
# Dependency audit, run by .ci/run after cargo test, for Cargo.lock and fuzz/Cargo.lock:
#   1. cargo-audit against the RustSec advisory database: fails on any vulnerability, and on the
#      warnings (unmaintained, unsound, yanked) not accepted in deny.toml;
#   2. cargo-deny with deny.toml: the same advisories, a license allow-list, crates.io as the
#      only source (no git, no other registry), no wildcard versions.
# An advisory that does not apply is accepted in deny.toml's [advisories] ignore list, by ID
# with the reason; cargo-audit is given the same IDs.
#
# The database. This project's machines and CI reach only the package registries, and none of
# them ships it, so a snapshot (a .tar.gz of its files, with its commit and date in SNAPSHOT) is
# kept beside the repository. The first of these is used:
#   $RUSTSEC_DB                          if set (wins): such a .tar.gz, or a directory holding
#                                        the database (a git checkout or a plain copy)
#   $ROOT/../shared/advisory-db.tar.gz   shared/ beside the main checkout, and beside CI's clone
#   /work/shared/advisory-db.tar.gz      the same, for a git worktree elsewhere on the machine
# It is unpacked once per snapshot under target/ci-tools/advisory-dbs, and both tools run
# offline (cargo-audit --no-fetch, cargo-deny --offline), inside a network namespace with no
# network where `unshare -n` works. With no database at all, the audit is SKIPPED, saying so.
# The snapshot's date is printed; advisories published after it are not checked.
#
# cargo-audit and cargo-deny, pinned: the ones in target/ci-tools or on PATH if they are those
# versions, else installed from crates.io (--locked) into target/ci-tools and reused next time
# (the first install compiles them: several minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=$TARGET_DIR/ci-tools
CARGO_AUDIT_VERSION=0.22.2
CARGO_DENY_VERSION=0.20.2
# Where cargo-deny looks for the database of deny.toml's db-urls inside its db-path: the URL's
# last path segment and cargo-deny's hash of the URL. Checked below: a cargo-deny that looks
# elsewhere fails to open the database rather than skip it.
DENY_DB_DIR=advisory-db-3157b0e258782691
# Older than this, the snapshot is called out (deny.toml's maximum-db-staleness is the limit).
WARN_AGE_DAYS=90

say() { printf '== audit: %s\n' "$*"; }
die() { printf 'audit check FAILED: %s\n' "$*" >&2; exit 1; }

# --- the database ---------------------------------------------------------------------------
if [ -n "${RUSTSEC_DB:-}" ]; then
  SOURCE=$RUSTSEC_DB
  [ -e "$SOURCE" ] || die "RUSTSEC_DB=$SOURCE does not exist"
else
  SOURCE=
  for candidate in "$ROOT/../shared/advisory-db.tar.gz" /work/shared/advisory-db.tar.gz; do
    if [ -f "$candidate" ]; then
      SOURCE=$(cd "$(dirname "$candidate")" && pwd)/$(basename "$candidate")
      break
    fi
  done
  if [ -z "$SOURCE" ]; then
    say "SKIPPED: no RustSec advisory database: no \$RUSTSEC_DB, no $ROOT/../shared/advisory-db.tar.gz,"
    say "SKIPPED: no /work/shared/advisory-db.tar.gz. Dependencies NOT audited (this machine cannot fetch it)."
    exit 0
  fi
fi

if [ -f "$SOURCE" ]; then
  KEY=tar-$(sha256sum "$SOURCE" | cut -c1-16)
else
  # A directory may change in place: copied afresh every run.
  KEY=dir-$(printf '%s' "$(cd "$SOURCE" && pwd)" | sha256sum | cut -c1-16)
fi
DB_ROOT=$TOOLS/advisory-dbs/$KEY
DB=$DB_ROOT/$DENY_DB_DIR
if [ -d "$SOURCE" ] || [ ! -f "$DB_ROOT/.ready" ]; then
  rm -rf "$DB_ROOT"
  mkdir -p "$DB_ROOT/unpacked"
  if [ -f "$SOURCE" ]; then
    tar -xzf "$SOURCE" -C "$DB_ROOT/unpacked" || die "tar -xzf $SOURCE failed"
  else
    cp -R "$SOURCE/." "$DB_ROOT/unpacked/" || die "copying $SOURCE failed"
  fi
  crates=$(find "$DB_ROOT/unpacked" -maxdepth 2 -type d -name crates | head -1)
  [ -n "$crates" ] || die "$SOURCE holds no advisory database (no crates/ directory)"
  mv "$(dirname "$crates")" "$DB"
  rm -rf "$DB_ROOT/unpacked"
  if [ -f "$DB/SNAPSHOT" ]; then
    COMMIT=$(sed -n 's/^commit[[:space:]]*//p' "$DB/SNAPSHOT" | head -1)
    DATE=$(sed -n 's/^date[[:space:]]*//p' "$DB/SNAPSHOT" | head -1)
  elif [ -d "$DB/.git" ]; then
    COMMIT=$(git -C "$DB" log -1 --format=%H)
    DATE=$(git -C "$DB" log -1 --format=%cs)
  else
    die "$SOURCE: no SNAPSHOT file and no git history: cannot tell how old the database is"
  fi
  date -u -d "$DATE" +%s >/dev/null 2>&1 || die "$SOURCE: unreadable snapshot date '$DATE'"
  # cargo-deny opens the database as a git repository and takes its age from the last
  # commit (or HEAD's mtime, whichever is newer): give a plain copy one commit dated as the
  # snapshot, and HEAD that date too, so its staleness check sees the snapshot's real age.
  if [ ! -d "$DB/.git" ]; then
    stamp="${DATE}T00:00:00Z"
    git -C "$DB" init -q
    git -C "$DB" add -A
    GIT_AUTHOR_DATE=$stamp GIT_COMMITTER_DATE=$stamp git -C "$DB" \
      -c user.name="advisory-db snapshot" -c user.email="snapshot@eastwest-guard.invalid" \
      -c commit.gpgsign=false commit -q -m "advisory-db snapshot $COMMIT ($DATE)" \
      || die "recording the snapshot in git failed"
    touch -d "$stamp" "$DB/.git/HEAD"
  fi
  printf '%s %s\n' "$COMMIT" "$DATE" >"$DB_ROOT/.ready"
fi
read -r COMMIT DATE <"$DB_ROOT/.ready"
AGE_DAYS=$(( ($(date -u +%s) - $(date -u -d "$DATE" +%s)) / 86400 ))
say "RustSec advisory database: snapshot of commit $COMMIT, dated $DATE ($AGE_DAYS days old)"
say "  from $SOURCE, unpacked at $DB; $(find "$DB/crates" -name '*.md' | wc -l) advisory files"
if [ "$AGE_DAYS" -gt "$WARN_AGE_DAYS" ]; then
  say "WARNING: the snapshot is over $WARN_AGE_DAYS days old: advisories published since $DATE are not checked"
fi

# --- the tools ------------------------------------------------------------------------------
# The pinned version, from target/ci-tools, else from PATH, else compiled from crates.io into
# target/ci-tools. Both installs share one target directory (about 150 of cargo-deny's crates
# are cargo-audit's too), removed once the binaries are in place.
INSTALL_TARGET=$TOOLS/cargo-install-target
tool() {
  local name=$1 version=$2 bin=$TOOLS/$1/bin/$1 found
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qxF "$name $version"; then
    printf '%s\n' "$bin"
    return
  fi
  found=$(command -v "$name" || true)
  if [ -n "$found" ] && "$found" --version 2>/dev/null | grep -qxF "$name $version"; then
    printf '%s\n' "$found"
    return
  fi
  say "installing $name $version from crates.io into $TOOLS/$name (compiles it: several minutes)" >&2
  CARGO_TARGET_DIR=$INSTALL_TARGET cargo install "$name" --locked --version "$version" \
    --root "$TOOLS/$name" --quiet >&2 || die "cargo install $name $version failed"
  printf '%s\n' "$bin"
}
AUDIT=$(tool cargo-audit "$CARGO_AUDIT_VERSION")
DENY=$(tool cargo-deny "$CARGO_DENY_VERSION")
rm -rf "$INSTALL_TARGET"

# No network for the tools themselves: a namespace of their own with none, where the kernel
# and the container allow it; else only their offline flags hold.
OFFLINE=()
if unshare -n true 2>/dev/null; then
  OFFLINE=(unshare -n)
elif unshare -rn true 2>/dev/null; then
  OFFLINE=(unshare -rn)
fi
say "$AUDIT ($CARGO_AUDIT_VERSION), $DENY ($CARGO_DENY_VERSION)"
say "run ${OFFLINE[*]:-without a network namespace (unshare -n is not allowed here)}"

# The accepted advisories: deny.toml's [advisories] ignore list.
IGNORES=()
while read -r id; do
  IGNORES+=(--ignore "$id")
done < <(sed -n '/^\[advisories\]/,/^\[/p' deny.toml | grep -o 'RUSTSEC-[0-9]\{4\}-[0-9]\{4\}' | sort -u)
say "accepted in deny.toml: ${#IGNORES[@]} advisories${IGNORES[*]:+ (${IGNORES[*]//--ignore /})}"

for manifest in Cargo.toml fuzz/Cargo.toml; do
  lock=${manifest%Cargo.toml}Cargo.lock
  [ -f "$lock" ] || die "$lock is missing"
  # The crates themselves (cargo-deny reads their manifests and license files), from crates.io
  # like any build; nothing else reaches the network.
  cargo fetch --locked --quiet --manifest-path "$manifest" || die "cargo fetch --manifest-path $manifest"

  say "cargo audit $lock"
  "${OFFLINE[@]}" "$AUDIT" audit --db "$DB" --no-fetch --deny warnings --file "$lock" "${IGNORES[@]}" \
    || die "cargo audit $lock"

  say "cargo deny check ($manifest)"
  # deny.toml's NCSA exception is for libfuzzer-sys, in the fuzz workspace only.
  extra=()
  [ "$manifest" != Cargo.toml ] || extra=(--allow license-exception-not-encountered)
  EASTWEST_GUARD_ADVISORY_DBS=$DB_ROOT "${OFFLINE[@]}" "$DENY" --manifest-path "$manifest" --config deny.toml \
    --offline --locked check "${extra[@]}" advisories bans licenses sources \
    || die "cargo deny check ($manifest)"
done
say "ok"
