#!/usr/bin/env bash
# The check step of the GitHub Action (action.yml): runs `eastwest-guard check` on the pull
# request's manifests against its base branch (--old), then
#   - prints the findings as workflow commands, which GitHub turns into annotations. GitHub
#     shows at most 10 error and 10 warning annotations of a step, so only the first 10 of each
#     are printed; the job summary says when there were more;
#   - writes the findings and the change in cross-cluster exposure (Markdown, made by the
#     binary: `check --output markdown --summary`) to $GITHUB_STEP_SUMMARY;
#   - writes `errors`, `warnings` and `exit-code` to $GITHUB_OUTPUT;
#   - exits with check's exit status (0 passed, 1 failed, 2 could not check).
#
# Inputs (the action's, passed as environment variables by action.yml):
#   INPUT_PATHS            files or directories, separated by spaces or newlines (default: .)
#   INPUT_BASE_REF         branch, tag or commit to compare against; empty: no --old
#   INPUT_CONFIG           passed as --config FILE when set
#   INPUT_FAIL_ON_WARNING  true or false
#   INPUT_ARGS             more flags for check (and for the diff), separated by spaces
#   INPUT_RENDER           a shell command that writes the manifests at INPUT_PATHS (e.g.
#                          kustomize build), run in the working directory of the checkout and
#                          of the base, so both sides are rendered alike
# Paths are relative to the directory it runs in (the action's working-directory); the check
# itself runs from the top of the git work tree, so annotations name files as the repository
# does. EASTWEST_GUARD_BIN names the binary (default: eastwest-guard on PATH).
#
# Kept out of action.yml so it can be run and tested outside GitHub (tests/integrations.rs).
set -euo pipefail

BIN=${EASTWEST_GUARD_BIN:-eastwest-guard}
# GitHub shows this many annotations of each level per step.
MAX_ANNOTATIONS=10
# GitHub refuses a job summary over 1 MiB per step; leave room for the notes.
MAX_SUMMARY_BYTES=1000000

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this from action.yml}"
: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set: run this from action.yml}"

outputs() {
  printf 'errors=%s\nwarnings=%s\nexit-code=%s\n' "$1" "$2" "$3" >>"$GITHUB_OUTPUT"
}

# A problem with the inputs or the repository: an error annotation, the outputs, exit 2.
die() {
  printf '::error title=eastwest-guard::%s\n' "$*"
  printf '## eastwest-guard: check\n\n**Could not check**: %s\n' "$*" >>"$GITHUB_STEP_SUMMARY"
  outputs "" "" 2
  exit 2
}

command -v "$BIN" >/dev/null || die "$BIN is not on PATH (the install step of the action puts it there)"

# No glob expansion of the inputs: they are paths and flags, as written.
set -f
IFS=$' \t\n' read -r -d '' -a paths <<<"${INPUT_PATHS:-}" || true
IFS=$' \t\n' read -r -d '' -a extra <<<"${INPUT_ARGS:-}" || true
[ "${#paths[@]}" -gt 0 ] || paths=(.)

case ${INPUT_FAIL_ON_WARNING:-false} in
  true) fail_on_warning=(--fail-on-warning) ;;
  false | "") fail_on_warning=() ;;
  *) die "fail-on-warning is \"$INPUT_FAIL_ON_WARNING\": write true or false" ;;
esac

# --- where the check runs ---------------------------------------------------------------------
# From the top of the work tree, so annotation paths are the repository's; paths given relative
# to the working directory get its prefix.
prefix=
if top=$(git rev-parse --show-toplevel 2>/dev/null); then
  prefix=$(git rev-parse --show-prefix)
  cd "$top"
fi

# `manifests/`, `./manifests`, `.` with prefix `deploy/` -> `deploy/manifests/`, `deploy`.
in_repo() {
  local p=$1
  while [[ $p == ./* ]]; do p=${p#./}; done
  [ "$p" = . ] && p=
  p=$prefix$p
  [ -n "$p" ] || p=.
  printf '%s' "${p%/}"
}

for i in "${!paths[@]}"; do
  case ${paths[$i]} in
    -) die "paths: standard input (-) cannot be read by the action; give files or directories" ;;
    /*) ;;
    *) paths[i]=$(in_repo "${paths[$i]}") ;;
  esac
done

config=()
if [ -n "${INPUT_CONFIG:-}" ]; then
  # --config comes with a later eastwest-guard; say so rather than fail on an unknown flag.
  "$BIN" check --help | grep -q -- '--config' \
    || die "config: this eastwest-guard ($("$BIN" --version)) has no --config flag; use a version of the action that has it, or pass rule flags with args"
  case $INPUT_CONFIG in
    /*) config=(--config "$INPUT_CONFIG") ;;
    *) config=(--config "$(in_repo "$INPUT_CONFIG")") ;;
  esac
fi

WORK=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/eastwest-guard.XXXXXX")
base_dir=
# shellcheck disable=SC2329 # run by the EXIT trap
cleanup() {
  if [ -n "$base_dir" ]; then
    git worktree remove --force "$base_dir" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- the base -----------------------------------------------------------------------------------
old=()
if [ -n "${INPUT_BASE_REF:-}" ]; then
  [ -n "$top" ] || die "base-ref is set but $PWD is not in a git work tree: check out the repository first"
  ref=$INPUT_BASE_REF
  # A pull request's base is a branch name; actions/checkout with fetch-depth: 0 fetched it as
  # origin/<name>. A tag or a commit is taken as it is.
  commit=
  for candidate in "origin/$ref" "$ref"; do
    if git rev-parse -q --verify "$candidate^{commit}" >/dev/null; then
      commit=$(git rev-parse "$candidate^{commit}")
      break
    fi
  done
  [ -n "$commit" ] \
    || die "base-ref $ref is not in this clone: check out with fetch-depth: 0 (actions/checkout), or git fetch origin $ref before this step"
  base_dir=$WORK/base-${commit:0:7}
  git worktree add --detach --quiet "$base_dir" "$commit" || die "git worktree add of $ref ($commit) failed"
  for p in "${paths[@]}"; do
    case $p in
      /*) die "paths: $p is absolute, so it has no counterpart in the base; give paths relative to working-directory" ;;
    esac
  done
  echo "eastwest-guard: comparing with $ref (${commit:0:7})"
fi

# --- rendering ----------------------------------------------------------------------------------
# Both sides, the same way: rendered files are usually not committed, so the base has them
# only if the command makes them there too.
if [ -n "${INPUT_RENDER:-}" ]; then
  echo "::group::render (this change): $INPUT_RENDER"
  here=${top:+$top/$prefix}
  (cd "${here:-.}" && bash -eo pipefail -c "$INPUT_RENDER") || die "render failed in the checkout: $INPUT_RENDER"
  echo "::endgroup::"
  if [ -n "$base_dir" ]; then
    echo "::group::render (base): $INPUT_RENDER"
    (cd "$base_dir/$prefix" && bash -eo pipefail -c "$INPUT_RENDER") \
      || die "render failed in the base ($INPUT_BASE_REF): $INPUT_RENDER"
    echo "::endgroup::"
  fi
fi
if [ -n "$base_dir" ]; then
  for p in "${paths[@]}"; do
    # A path the base does not have: everything in it is new in this change.
    if [ -e "$base_dir/$p" ]; then
      old+=(--old "$base_dir/$p")
    fi
  done
  if [ "${#old[@]}" -eq 0 ]; then
    mkdir -p "$WORK/empty"
    old=(--old "$WORK/empty")
  fi
fi

flags=("${extra[@]}" "${config[@]}" "${old[@]}" "${fail_on_warning[@]}")

# --- the check: annotations ---------------------------------------------------------------------
status=0
"$BIN" check --output github "${flags[@]}" -- "${paths[@]}" >"$WORK/github.out" 2>"$WORK/check.err" || status=$?
if [ -s "$WORK/check.err" ]; then
  cat "$WORK/check.err" >&2
fi
# The first MAX_ANNOTATIONS of each level, everything else (the summary line) as it is.
LC_ALL=C awk -v max="$MAX_ANNOTATIONS" -v counts="$WORK/counts" '
  /^::error /   { e++; if (e <= max) print; next }
  /^::warning / { w++; if (w <= max) print; next }
  { print }
  END { print e + 0, w + 0 > counts }
' "$WORK/github.out"
read -r annotated_errors annotated_warnings <"$WORK/counts"

if [ "$status" -ge 2 ] && ! grep -q '^checked ' "$WORK/github.out"; then
  # A wrong flag (in args): nothing was checked.
  die "eastwest-guard check refused its flags: $(head -c 500 "$WORK/check.err")"
fi

# The counts from check's own summary line: `...: 3 errors, 12 warnings`.
counts=$(sed -n 's/^checked .*: \([0-9][0-9]*\) errors\{0,1\}, \([0-9][0-9]*\) warnings\{0,1\}.*$/\1 \2/p' \
  "$WORK/github.out" | tail -n 1)
read -r errors warnings <<<"${counts:-0 0}"

# Every finding in the log, in text, for when the annotations are cut.
if [ "$annotated_errors" -gt "$MAX_ANNOTATIONS" ] || [ "$annotated_warnings" -gt "$MAX_ANNOTATIONS" ]; then
  echo "::group::All findings (GitHub annotates the first $MAX_ANNOTATIONS of each level)"
  "$BIN" check --output text "${flags[@]}" -- "${paths[@]}" 2>&1 || true
  echo "::endgroup::"
fi

# --- the job summary ------------------------------------------------------------------------
summary=()
[ "${#old[@]}" -gt 0 ] && summary=(--summary)
"$BIN" check --output markdown "${flags[@]}" "${summary[@]}" -- "${paths[@]}" >"$WORK/summary.md" 2>/dev/null || true
{
  # The binary's heading, then what only the action knows, then the binary's report.
  head -n 2 "$WORK/summary.md"
  if [ "$annotated_errors" -gt "$MAX_ANNOTATIONS" ] || [ "$annotated_warnings" -gt "$MAX_ANNOTATIONS" ]; then
    printf '> [!NOTE]\n> GitHub shows at most %s error and %s warning annotations per step. ' \
      "$MAX_ANNOTATIONS" "$MAX_ANNOTATIONS"
    printf 'This check made %s error and %s warning annotations, so only the first %s of each are on the diff: all of them are listed here.\n\n' \
      "$annotated_errors" "$annotated_warnings" "$MAX_ANNOTATIONS"
  fi
  if [ -n "${INPUT_BASE_REF:-}" ]; then
    # shellcheck disable=SC2016 # Markdown code, not a command substitution
    printf 'Compared with `%s` (%s).\n\n' "$INPUT_BASE_REF" "${commit:0:7}"
  else
    printf 'No base to compare with (not a pull request, and no base-ref): every object is judged as new, and there is no exposure diff.\n\n'
  fi
  if [ "$(wc -c <"$WORK/summary.md")" -le "$MAX_SUMMARY_BYTES" ]; then
    tail -n +3 "$WORK/summary.md"
  else
    # Whole lines up to the limit; the log has every finding (printed above: a report this
    # long has more than MAX_ANNOTATIONS of a level).
    tail -n +3 "$WORK/summary.md" \
      | LC_ALL=C awk -v max="$MAX_SUMMARY_BYTES" '{ n += length($0) + 1; if (n > max) exit; print }'
    printf '\n**Cut here**: the summary reached GitHub'"'"'s 1 MiB limit; every finding is in the job log.\n'
  fi
} >>"$GITHUB_STEP_SUMMARY"

outputs "$errors" "$warnings" "$status"
exit "$status"
