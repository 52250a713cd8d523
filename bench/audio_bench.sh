#!/usr/bin/env bash
# audio_bench.sh — the sound executor on a minute of stereo 44.1 kHz speech-band
# noise: joining two recordings, mixing them (one as the background), shifting
# the pitch, changing the speed; each through `baton task audio-to-audio` (a
# baton-worker process, as in a run), the median wall time of N runs and the
# executor's own report.
# Usage: bench/audio_bench.sh [BUILD_DIR] [N] [SECONDS]   (default ./build, 5, 60)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-5}
secs=${3:-60}
baton="$build/baton"
[ -x "$baton" ] || { echo "audio_bench: $baton not built" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BATON_HOME="$work/home" BATON_NO_DAEMON=1

# SECONDS s of a 220 Hz tone with a little noise, 16-bit stereo 44.1 kHz.
python3 - "$work" "$secs" <<'PY'
import math, random, struct, sys, wave
folder, secs = sys.argv[1], float(sys.argv[2])
rate, rnd = 44100, random.Random(1)
for name, hz in (("a.wav", 220.0), ("b.wav", 330.0)):
    with wave.open(f"{folder}/{name}", "wb") as w:
        w.setnchannels(2); w.setsampwidth(2); w.setframerate(rate)
        frames = bytearray()
        for i in range(int(secs * rate)):
            v = int(12000 * math.sin(2 * math.pi * hz * i / rate) + rnd.randint(-300, 300))
            frames += struct.pack("<hh", v, v)
        w.writeframes(bytes(frames))
PY

. bench/median.sh

# measure LABEL ARGS...: median wall ms of N runs of baton task audio-to-audio ARGS
measure() {
  local label=$1; shift
  local walls=() report=""
  for ((i = 0; i < n; i++)); do
    local t0=$EPOCHREALTIME
    report=$(cd "$work" && "$OLDPWD/$baton" task audio-to-audio --json "$@" |
             python3 -c 'import json,sys; print(json.load(sys.stdin)["outputs"].get("text",""))')
    walls+=("$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", (b - a) * 1000}')")
  done
  local ms
  ms=$(printf '%s\n' "${walls[@]}" | median)
  printf '| %s | %s | %s |\n' "$label" "$ms" "$report"
}

echo "| ${secs} s stereo 44.1 kHz | median ms of $n | what the executor did |"
echo "|---|---:|---|"
measure "normalise (one file read and written)" --arg audio=a.wav --arg instruction=normalise
measure "join two" --arg audio=a.wav --arg audio2=b.wav --arg "instruction=combine them"
measure "mix two" --arg audio=a.wav --arg audio2=b.wav --arg "instruction=mix them"
measure "mix two, b.wav as the background (read twice)" --arg audio=a.wav --arg audio2=b.wav \
  --arg "instruction=mix a.wav with b.wav as background music"
measure "pitch up 3 semitones" --arg audio=a.wav --arg "instruction=raise the pitch 3 semitones"
measure "1.5x at the same pitch" --arg audio=a.wav --arg "instruction=speed it up 1.5x"
