#!/usr/bin/env bash
# setup.sh — installs the Debian packages baton needs and builds it into ./build.
# Usage: scripts/setup.sh   (as root, or as a user with sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev libcjson-dev libsqlite3-dev sqlite3 libyaml-dev libedit-dev
  libcriterion-dev
  libtesseract-dev libleptonica-dev tesseract-ocr-eng
  libespeak-ng-dev espeak-ng-data
  libots-dev
  apertium apertium-en-es
  libpocketsphinx-dev pocketsphinx-en-us libsndfile1-dev
  libexttextcat-dev libexttextcat-data
  libvips-dev
  libopencv-dev libopencv-objdetect-dev libopencv-imgcodecs-dev libopencv-imgproc-dev
  opencv-data opencv-doc
  imagemagick fonts-dejavu-core
)

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

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built ./build/baton" >&2
