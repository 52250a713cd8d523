#!/usr/bin/env bash
# suite_time.sh — wall and CPU time of the normal test suite (ctest on an
# already built tree), each run as on a fresh clone: no cost data, no test
# home (its executor description cache); then the medians. The goal of
# issue 13 compares the wall time with -j2.
# Usage: bench/suite_time.sh [BUILD_DIR] [RUNS] [JOBS]   (default ./build, 3, nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
build=${1:-build}
runs=${2:-3}
jobs=${3:-$(nproc)}
[ -f "$build/CTestTestfile.cmake" ] || { echo "suite_time: $build has no tests (build it first)" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "suite_time: RUNS must be a positive number, not '$runs'" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "suite_time: JOBS must be a positive number, not '$jobs'" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "suite_time: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out" "$out.time"' EXIT

. bench/median.sh

walls=() cpus=()
echo "| run | tests | wall s | CPU s (user+sys) | load before |"
echo "|---|---:|---:|---:|---:|"
for ((i = 1; i <= runs; i++)); do
  rm -f "$build/Testing/Temporary/CTestCostData.txt"
  rm -rf "$build/test-home"
  load=$(cut -d' ' -f1 /proc/loadavg)
  status=0
  /usr/bin/time -o "$out.time" -f '%e %U %S' ctest --test-dir "$build" -j"$jobs" >"$out" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    grep -E "tests passed|Failed|\*\*\*" "$out" >&2 || true
    echo "suite_time: run $i failed (ctest exit $status); nothing measured" >&2
    exit 1
  fi
  tests=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$out")
  read -r wall user sys <"$out.time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f", u + s}')
  walls+=("$wall") cpus+=("$cpu")
  echo "| $i (-j$jobs) | $tests | $wall | $cpu | $load |"
done
echo "| median | | $(printf '%s\n' "${walls[@]}" | median) | $(printf '%s\n' "${cpus[@]}" | median) | |"
