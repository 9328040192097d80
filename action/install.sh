#!/usr/bin/env bash
# The install steps of the GitHub Action (action.yml), from the action's own checkout
# ($GITHUB_ACTION_PATH):
#
#   install.sh key      writes `key` and `root` to $GITHUB_OUTPUT: where the binary is
#                       installed, named by a hash of the sources that build it, so a cache of
#                       that directory (actions/cache) is reused exactly while they are the same;
#   install.sh install  `cargo install --locked` into that root unless the binary is already
#                       there (a cache hit), and puts its bin/ on $GITHUB_PATH.
#
# Kept out of action.yml so it can be run and tested outside GitHub (tests/integrations.rs).
set -euo pipefail

die() {
  printf '::error title=eastwest-guard::%s\n' "$*"
  exit 2
}

src=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this from action.yml}

key() {
  : "${GITHUB_OUTPUT:?}"
  # Everything `cargo install` reads to build the binary, and the compiler that builds it.
  local sources rust
  sources=$(cd "$src" && find Cargo.toml Cargo.lock build.rs src -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16) \
    || die "cannot hash the sources in $src"
  rust=$(rustc --version 2>/dev/null || echo "no rustc")
  rust=$(printf '%s' "$rust" | sha256sum | cut -c1-8)
  local base=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}
  {
    printf 'key=eastwest-guard-%s-%s-%s-%s\n' "${RUNNER_OS:-unknown}" "${RUNNER_ARCH:-unknown}" "$rust" "$sources"
    printf 'root=%s/eastwest-guard/%s-%s\n' "$base" "$sources" "$rust"
  } >>"$GITHUB_OUTPUT"
}

install() {
  local root=${EASTWEST_GUARD_ROOT:?EASTWEST_GUARD_ROOT is not set}
  local bin=$root/bin/eastwest-guard
  if [ -x "$bin" ]; then
    echo "eastwest-guard: using the cached build in $root"
  else
    command -v cargo >/dev/null \
      || die "cargo is not on PATH: install a Rust toolchain before this action (e.g. with rustup)"
    # A GitHub Action is downloaded without .git, so build.rs cannot ask git for the commit:
    # when the action was named by a commit SHA, that is the commit.
    if [ -z "${EASTWEST_GUARD_COMMIT:-}" ] && [[ ${EASTWEST_GUARD_ACTION_REF:-} =~ ^[0-9a-f]{40}$ ]]; then
      export EASTWEST_GUARD_COMMIT=${EASTWEST_GUARD_ACTION_REF:0:7}
    fi
    echo "::group::cargo install --locked --path $src"
    cargo install --locked --path "$src" --root "$root" || die "cargo install of eastwest-guard failed"
    echo "::endgroup::"
  fi
  [ -x "$bin" ] || die "no eastwest-guard in $root/bin after installing"
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$root/bin" >>"$GITHUB_PATH"
  fi
  "$bin" --version
}

case ${1:-} in
  key) key ;;
  install) install ;;
  *) die "usage: install.sh key|install" ;;
esac
