#!/usr/bin/env bash
# startup.sh — whole-process start-up of the baton command: wall time, CPU
# time and peak memory of plan --offline, run --plan (a one-task debug plan), models search
# and --version, each the median of N runs under /usr/bin/time.
# Usage: bench/startup.sh [BUILD_DIR] [N]   (default ./build, 10)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-10}
baton="$build/baton"
[ -x "$baton" ] || { echo "startup: $baton not built" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "startup: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export BATON_HOME="$home" BATON_NO_DAEMON=1 BATON_DEBUG_EXECUTORS=1
export XDG_CACHE_HOME="$home/cache"   # the executor description cache
plan1="$home/one-task.json"
echo '[{"task": "debug-echo", "id": 0, "dep": [-1], "args": {"text": "hello"}}]' >"$plan1"

. bench/median.sh

# measure LABEL CMD...: N runs after one warm-up (which seeds BATON_HOME and
# the executor description cache), prints median wall ms and peak MiB.
measure() {
  local label=$1; shift
  "$@" >/dev/null 2>&1 || { echo "startup: '$*' failed" >&2; exit 1; }
  local walls=() cpus=() rsss=()
  for ((i = 0; i < n; i++)); do
    local t0=$EPOCHREALTIME
    /usr/bin/time -o "$home/time" -f '%U %S %M' "$@" >/dev/null 2>&1
    local t1=$EPOCHREALTIME out
    out=$(tail -1 "$home/time")
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) * 1000}')")
    cpus+=("$(awk '{printf "%.0f", ($1 + $2) * 1000}' <<<"$out")")
    rsss+=("$(awk '{printf "%.1f", $3 / 1024}' <<<"$out")")
  done
  printf '| %s | %s | %s | %s |\n' "$label" "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${cpus[@]}" | median)" "$(printf '%s\n' "${rsss[@]}" | median)"
}

echo "| command (median of $n) | wall ms | CPU ms (user+sys, 10 ms steps) | peak MiB |"
echo "|---|---|---|---|"
measure '`baton plan "read the text in sign.png and summarize it" --offline --json`' \
  "$baton" plan "read the text in sign.png and summarize it" --offline --json
measure 'the same, its executor description cache removed first (as before the cache)' \
  sh -c 'rm -f "$XDG_CACHE_HOME"/baton/executors-*.json; exec "$0" "$@"' \
  "$baton" plan "read the text in sign.png and summarize it" --offline --json
measure '`baton run --plan` (one debug-echo task)' "$baton" run -q --plan "$plan1"
measure '`baton models search "read the text on a photo"`' "$baton" models search "read the text on a photo"
measure '`baton --version`' "$baton" --version
