#!/bin/sh
# Makes docs/images/run.gif from the frames docs/images/run-1.png ... run-N.png that the workbench
# checks write (THINKLENS_UPDATE_PICTURES=1 node --test test/integration/person.test.mjs).
# Needs ImageMagick (Debian: apt-get install -y imagemagick); the tests never call this script.
#
#   scripts/makeRunGif.sh [folder] [width]   folder of the frames (default docs/images), GIF width (default 960 px)
set -eu
cd "$(dirname "$0")/.."
dir=${1:-docs/images}
width=${2:-960}

if command -v magick >/dev/null 2>&1; then
  convert="magick"
elif convert -version 2>/dev/null | grep -q ImageMagick; then
  convert="convert"
else
  echo "ImageMagick is needed to make the GIF: apt-get install -y imagemagick" >&2
  exit 1
fi

frames=$(ls "$dir"/run-[0-9]*.png 2>/dev/null | sort -t- -k2 -n || true)
if [ -z "$frames" ]; then
  echo "no frames in $dir (run-1.png ...): run THINKLENS_UPDATE_PICTURES=1 node --test test/integration/person.test.mjs first" >&2
  exit 1
fi
last=$(echo "$frames" | tail -n 1)
rest=$(echo "$frames" | sed '$d')

# 1.6 s per frame, the last one 3.5 s; one shared palette keeps the text crisp and the file small.
# shellcheck disable=SC2086
$convert -delay 160 $rest -delay 350 "$last" \
  -resize "${width}x" -dither None +map -layers Optimize -loop 0 "$dir/run.gif"
echo "$dir/run.gif: $(wc -c < "$dir/run.gif") bytes from $(echo "$frames" | wc -l) frames"
