#!/usr/bin/env bash
# setup.sh — installs the Debian packages baton needs and builds it into ./build.
# Usage: scripts/setup.sh [--tests]   (as root, or as a user with sudo)
#   --tests  also installs what only the test suite uses (ImageMagick to
#            render test images, OpenCV's sample photos, the sqlite3 program)
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) with_tests=1 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (see scripts/setup.sh --help)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev libcjson-dev libsqlite3-dev libyaml-dev libedit-dev
  libcriterion-dev
  libtesseract-dev libleptonica-dev tesseract-ocr-eng
  libespeak-ng-dev espeak-ng-data
  libots-dev libglib2.0-dev
  apertium apertium-en-es
  # More translation pairs, each direct or through Spanish (issue 17)
  apertium-fr-es apertium-es-pt apertium-spa-ita apertium-es-ro apertium-spa-cat apertium-es-gl apertium-spa-ast apertium-eng-cat apertium-en-gl apertium-eo-en apertium-eu-en
  # OCR in more languages, and tesseract's script detection (issue 17)
  tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-por tesseract-ocr-osd
  libpocketsphinx-dev pocketsphinx-en-us libsndfile1-dev
  libexttextcat-dev libexttextcat-data
  libvips-dev
  libopencv-dev libopencv-objdetect-dev libopencv-imgcodecs-dev libopencv-imgproc-dev
  opencv-data
  # the task queue across machines: hiredis to build, redis-server to run it (and for the tests)
  libhiredis-dev redis-server
)
if ((with_tests)); then
  packages+=(opencv-doc imagemagick fonts-dejavu-core sqlite3)
  # Criterion's protobuf runtime, so the tests can link the static Criterion
  # (tests/CMakeLists.txt: every test starts without libgit2 and its libraries)
  packages+=(libnanopb-dev)
  # baton mcp's conformance test runs the MCP SDK client on node (Debian's,
  # unless a node with npm is already installed)
  command -v npm >/dev/null || packages+=(nodejs npm)
  # the Python package's tests (bindings/python)
  packages+=(python3)
  # libFuzzer targets (tests/fuzz, run by scripts/test.sh): clang and its fuzzer runtime
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ((with_tests)); then
  # the MCP SDK client of tests/mcp, pinned by its package-lock.json
  (cd tests/mcp && npm ci --no-audit --no-fund --loglevel=error)
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built ./build/baton" >&2
