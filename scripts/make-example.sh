#!/bin/sh
# make-example.sh — renders examples/sign.png, the sample notice used by the
# examples and tests ("read the text on sign.png, summarise it and read the
# summary aloud"). Needs ImageMagick's convert and the DejaVu fonts
# (Debian: imagemagick, fonts-dejavu-core). The PNG is committed; rerun this
# only to change it.
#
# ImageMagick's Debian policy forbids reading text from a file (caption:@file),
# so the text is passed as an argument. -strip and the excluded chunks keep
# the PNG free of timestamps, so reruns give the same bytes.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out="${1:-$here/examples/sign.png}"

text="Riverside Public Library is open from Monday to Friday, nine in the morning until eight in the evening. On Saturdays the library closes early at five, and it stays closed on Sundays and public holidays. Borrowed books can be returned at any time through the slot beside the main entrance. Please keep food and drinks out of the reading rooms."

convert -background white -fill black -font DejaVu-Sans -pointsize 36 \
  -size 1400x "caption:$text" \
  -bordercolor white -border 40 \
  -strip -define png:exclude-chunks=date,time \
  "$out"
echo "wrote $out"
