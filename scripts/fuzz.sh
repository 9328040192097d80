#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ one after another, each for FUZZ_SECONDS (default
# 600), on one core, and prints libFuzzer's executions and any crash per target.
#
#   scripts/fuzz.sh                              # every target, 10 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh selector     # one target, one minute
#   FUZZ_SECONDS=300 scripts/fuzz.sh wire_parsers
#
# request, review_fields: the request path keeps the protocol's promises on any body.
# selector, cloud_annotations: the two annotation parsers on any text.
# wire_parsers: the webhook's AdmissionReview and metadata parsers accept, refuse and read
# what kube's AdmissionReview<DynamicObject> and k8s-openapi's ObjectMeta do (the input
# drives a generator of review bodies, tests/common/wire_diff.rs; a crash prints the body and
# the disagreement).
#
# Stable toolchain: cargo-fuzz needs nightly flags (-Zsanitizer), which RUSTC_BOOTSTRAP=1
# allows. Installs cargo-fuzz from crates.io when it is missing. Seeds come from the
# repository's fixtures (fuzz/seed.py); corpora and crash artifacts stay under fuzz/ (not
# committed). A crash stops its target and is reported; turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(request review_fields selector cloud_annotations wire_parsers)
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
python3 seed.py >/dev/null
cargo fuzz build -O
mkdir -p logs
status=0
for target in "${TARGETS[@]}"; do
  args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  [ "$target" = request ] && args+=(-dict=request.dict)
  echo "== fuzz $target for ${FUZZ_SECONDS}s"
  if cargo fuzz run -O "$target" "corpus/$target" -- "${args[@]}" >"logs/$target.log" 2>&1; then
    result="no crash"
  else
    result="CRASH (see fuzz/logs/$target.log and fuzz/artifacts/$target/)"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$target.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "logs/$target.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "logs/$target.log" | tail -1)
  corpus=$(find "corpus/$target" -maxdepth 1 -type f | wc -l)
  echo "   $target: ${execs:-?} executions (${rate:-?}/s), $cov, corpus $corpus: $result"
done
exit $status
