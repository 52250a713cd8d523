#!/usr/bin/env bash
# test.sh — runs the whole Criterion suite twice: on the normal build, then on
# an AddressSanitizer + UndefinedBehaviorSanitizer build. Run scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

echo "== tests (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
# A test that fails is run once more, and the suite fails only if it fails
# again; the first failure's output stays in the log (a flaky test to fix).
ctest --test-dir build --output-on-failure --repeat until-pass:2 -j"$jobs"

echo "== tests under ASan+UBSan (build-asan/)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBATON_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
supp="$PWD/tests/lsan.supp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -f "$supp" ]; then export LSAN_OPTIONS="suppressions=$supp"; fi
ctest --test-dir build-asan --output-on-failure --repeat until-pass:2 -j"$jobs"

# ---- Fuzzing (trust work): the JSON-RPC line parser, the plan parser, the
# YAML config loader, the entity finder, the similarity measure, the sentiment reader, the text
# cutter and the offline planner under clang's libFuzzer + ASan, 60 s each, all at once (about
# 70 s of wall time: the cores are shared, the time is not added); a crash fails the run.
# Skipped without clang.
echo "== fuzzing (build-fuzz/, libFuzzer, 60 s per target in parallel)"
if command -v clang >/dev/null 2>&1; then
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATON_FUZZ=ON \
    -DBATON_TESTS=OFF -DBATON_WERROR=OFF >/dev/null
  if cmake --build build-fuzz -j"$jobs" --target fuzz_rpc_line fuzz_plan fuzz_config fuzz_entities \
      fuzz_similarity fuzz_sentiment fuzz_textcut fuzz_offline; then
    scripts/fuzz.sh build-fuzz 60
  else
    echo "fuzzing: clang cannot build the libFuzzer targets here" >&2
    exit 1
  fi
else
  echo "fuzzing: skipped (no clang; scripts/setup.sh --tests installs it)"
fi

# ---- Install check (daemon work): `cmake --install` gives a library, header
# and pkg-config file that an embedder can build against; examples/embed.c is
# built from the installed copy and runs a debug-executor plan; the installed
# baton-worker finds its executor modules.
echo "== install check (cmake --install, pkg-config, examples/embed.c)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install build --prefix "$tmp/prefix" >/dev/null
pcdir="$(dirname "$(find "$tmp/prefix" -name baton.pc | head -n1)")"
cc -o "$tmp/embed" examples/embed.c $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs baton)
printf '%s\n' '[{"task":"debug-echo","id":0,"dep":[-1],"args":{"text":"installed ok"}}]' >"$tmp/plan.json"
printf "workers: 2\n" >"$tmp/config.yaml"
LD_LIBRARY_PATH="$(dirname "$pcdir")" BATON_HOME="$tmp/home" BATON_DEBUG_EXECUTORS=1 \
  BATON_CONFIG="$tmp/config.yaml" "$tmp/embed" --plan "$tmp/plan.json" | tee "$tmp/embed.out"
grep -q "installed ok" "$tmp/embed.out"
"$(find "$tmp/prefix" -name baton-worker -type f | head -n1)" --describe >"$tmp/describe.json"
grep -q '"name":"apertium"' "$tmp/describe.json"
