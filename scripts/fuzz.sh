#!/usr/bin/env bash
# fuzz.sh — runs the libFuzzer targets of a -DBATON_FUZZ=ON build, all at once,
# each for the given seconds from its seeds in tests/fuzz/corpus/<name>/.
# Usage: scripts/fuzz.sh BUILD_DIR [SECONDS]   Exit status 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
build="$1"
secs="${2:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
pids=()
names=(rpc_line plan config entities similarity sentiment textcut offline)
for n in "${names[@]}"; do
  mkdir -p "$work/$n"
  "$build/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$work/$n-" -print_final_stats=1 "$work/$n" "tests/fuzz/corpus/$n" \
    >"$work/$n.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!names[@]}"; do
  n="${names[$i]}"
  if wait "${pids[$i]}"; then
    echo "fuzz_$n: clean ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$n.log" | grep -o '[0-9]*$') runs)"
  else
    failed=1
    echo "fuzz_$n: FAILED" >&2
    tail -n 60 "$work/$n.log" >&2
    for a in "$work/$n"-*; do
      [ -e "$a" ] && { echo "crashing input (base64):" >&2; base64 -w0 "$a" >&2; echo >&2; }
    done
  fi
done
exit "$failed"
