#!/usr/bin/env bash
# test.sh — runs the whole Criterion suite twice: on the normal build, then on
# an AddressSanitizer + UndefinedBehaviorSanitizer build. Run scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

echo "== tests (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== tests under ASan+UBSan (build-asan/)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBATON_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
supp="$PWD/tests/lsan.supp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -f "$supp" ]; then export LSAN_OPTIONS="suppressions=$supp"; fi
ctest --test-dir build-asan --output-on-failure -j"$jobs"
