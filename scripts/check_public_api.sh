#!/usr/bin/env bash
# check_public_api.sh — cli/ and examples/ must build against include/baton.h
# alone (cli/ also gets core/banned.h): compiles each of their sources with no
# other project include path, so an internal header fails here even if the
# build's include paths were widened again, and refuses baton__ names declared
# by hand. Usage: check_public_api.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: check_public_api.sh BUILD_DIR}"
cc="${CC:-cc}"
flags=(-std=c11 -D_GNU_SOURCE -fsyntax-only -Wall -Wextra -Werror -Iinclude)
read -r -a cjson <<<"$(pkg-config --cflags libcjson)"
failed=0
for f in cli/*.c examples/*.c; do
  extra=()
  case "$f" in cli/*) extra=(-I"$build/gen/banned" "${cjson[@]}") ;; esac
  if ! "$cc" "${flags[@]}" "${extra[@]}" "$f"; then
    echo "check_public_api: $f needs more than include/baton.h" >&2
    failed=1
  fi
done
# ...and declare none of the library's internal (baton__) symbols by hand.
if grep -n 'baton__\|BATON__' cli/*.[ch] examples/*.c >&2; then
  echo "check_public_api: cli/ or examples/ name the library's internals (above)" >&2
  failed=1
fi
[ "$failed" = 0 ] && echo "check_public_api: cli/ and examples/ use only the public header"
exit "$failed"
