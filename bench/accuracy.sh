#!/usr/bin/env bash
# accuracy.sh — how well the local executors do on data nobody here made:
# speech recognition word error rate on the LibriVox clips of Debian's
# pocketsphinx-testdata (beside pocketsphinx_continuous on the same clips),
# OCR character accuracy on Article 1 of the Universal Declaration of Human
# Rights rendered in six languages, and translation round trips through
# apertium. Prints markdown tables for docs/benchmarks.md.
# Usage: bench/accuracy.sh [BUILD_DIR [PART...]]   PART: asr ocr translation
#        (default all; needs scripts/setup.sh --tests, and pocketsphinx-testdata
#        and pocketsphinx for the speech part)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
parts=" ${*:2} "
[ "$parts" != "  " ] || parts=" asr ocr translation "
want() { [[ "$parts" == *" $1 "* ]]; }
baton="$build/baton"
dist="$build/edit_distance"
for p in "$baton" "$dist"; do
  [ -x "$p" ] || { echo "accuracy: $p not built (cmake --build build --target baton edit_distance)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BATON_HOME="$work/home" BATON_NO_DAEMON=1
cd "$work"

# The text output of one `baton task` (stdin: nothing; args: the task's).
task_text() {
  "$baton" task "$@" --json 2>/dev/null |
    sed -n 's/^[[:space:]]*"text":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' | head -1 |
    sed 's/\\n/ /g; s/\\"/"/g'
}

# errors/length as a percentage with one decimal; $1 is "errors length".
rate() { awk '{ if ($2 > 0) printf "%.1f", 100 * $1 / $2; else print "n/a" }' <<<"$1"; }

# ---- speech recognition ----------------------------------------------------
clips=/usr/share/pocketsphinx/test/data/librivox
model=/usr/share/pocketsphinx/model/en-us
if ! want asr; then
  :
elif [ -d "$clips" ]; then
  echo "| clip (LibriVox, Sense and Sensibility) | words | baton (pocketsphinx executor) WER % | pocketsphinx_continuous WER % |"
  echo "|---|---|---|---|"
  tot_b=0; tot_p=0; tot_n=0
  while read -r id; do
    sed -n "s/^<s> \(.*\) <\/s> ($id)$/\1/p" "$clips/transcription" >ref.txt
    cp "$clips/$id.wav" clip.wav
    task_text automatic-speech-recognition --arg audio=clip.wav >baton.txt
    b=$("$dist" --words ref.txt baton.txt)
    p="n/a"
    if command -v pocketsphinx_continuous >/dev/null; then
      pocketsphinx_continuous -infile clip.wav -hmm "$model/en-us" -lm "$model/en-us.lm.bin" \
        -dict "$model/cmudict-en-us.dict" 2>/dev/null >ps.txt || true
      p=$("$dist" --words ref.txt ps.txt)
      tot_p=$((tot_p + ${p%% *}))
    fi
    tot_b=$((tot_b + ${b%% *})); tot_n=$((tot_n + ${b##* }))
    echo "| ${id##*-} | ${b##* } | $(rate "$b") | $([ "$p" = n/a ] && echo n/a || rate "$p") |"
  done <"$clips/fileids"
  echo "| all | $tot_n | $(rate "$tot_b $tot_n") | $(rate "$tot_p $tot_n") |"
  echo
else
  echo "(pocketsphinx-testdata is not installed: no speech table)"
fi

# ---- OCR -------------------------------------------------------------------
# Article 1 of the Universal Declaration of Human Rights, in its official
# wording in each language.
declare -A udhr=(
  [eng]="All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood."
  [fra]="Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont doués de raison et de conscience et doivent agir les uns envers les autres dans un esprit de fraternité."
  [deu]="Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen."
  [spa]="Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados como están de razón y conciencia, deben comportarse fraternalmente los unos con los otros."
  [ita]="Tutti gli esseri umani nascono liberi ed eguali in dignità e diritti. Essi sono dotati di ragione e di coscienza e devono agire gli uni verso gli altri in spirito di fratellanza."
  [por]="Todos os seres humanos nascem livres e iguais em dignidade e em direitos. Dotados de razão e de consciência, devem agir uns para com os outros em espírito de fraternidade."
)
if want ocr && command -v convert >/dev/null; then
  echo "| language | characters | read as English (eng) % correct | language detected % correct | language named % correct | detected as |"
  echo "|---|---|---|---|---|---|"
  for lang in eng fra deu spa ita por; do
    printf '%s\n' "${udhr[$lang]}" >ref.txt
    convert -background white -fill black -font DejaVu-Sans -pointsize 32 -size 1200x \
      "caption:${udhr[$lang]}" -bordercolor white -border 30 page.png
    row="| $lang"
    task_text image-to-text --arg image=page.png --arg lang=eng >h1.txt
    "$baton" task image-to-text --arg image=page.png --json 2>/dev/null >h2.json
    sed -n 's/^[[:space:]]*"text":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' h2.json | sed 's/\\n/ /g' >h2.txt
    detected=$(sed -n 's/^[[:space:]]*"language":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' h2.json)
    task_text image-to-text --arg image=page.png --arg lang="$lang" >h3.txt
    n=$("$dist" --chars ref.txt h1.txt); row+=" | ${n##* }"
    for h in h1 h2 h3; do
      e=$("$dist" --chars ref.txt $h.txt)
      row+=" | $(awk '{ printf "%.1f", 100 - 100 * $1 / $2 }' <<<"$e")"
    done
    echo "$row | $detected |"
  done
  echo
fi

# ---- translation round trips ----------------------------------------------
sentences=(
  "${udhr[eng]}"
  "The library is open from Monday to Friday, and it stays closed on public holidays."
)
want translation || exit 0
echo "| round trip (apertium) | route out | words | words changed (WER %) |"
echo "|---|---|---|---|"
for tgt in es fr pt it ca gl; do
  errs=0; words=0; route=""
  for s in "${sentences[@]}"; do
    printf '%s\n' "$s" >ref.txt
    "$baton" task translation --arg text="$s" --arg src_lang=en --arg tgt_lang=$tgt --json 2>/dev/null >out.json || true
    there=$(sed -n 's/^[[:space:]]*"text":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p' out.json)
    route=$(sed -n 's/^[[:space:]]*"route":[[:space:]]*"\([^"(]*\).*/\1/p' out.json)
    [ -n "$there" ] || continue
    task_text translation --arg text="$there" --arg src_lang=$tgt --arg tgt_lang=en >back.txt
    e=$("$dist" --words ref.txt back.txt)
    errs=$((errs + ${e%% *})); words=$((words + ${e##* }))
  done
  echo "| en -> $tgt -> en | ${route:-none} | $words | $(rate "$errs $words") |"
done
