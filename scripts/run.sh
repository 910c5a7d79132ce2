#!/usr/bin/env bash
# Installs what is missing, builds Release, and launches GenLab.
# With no display it says so, renders a PNG of every panel under Xvfb instead, and prints
# where they are. Extra arguments go to genlab (e.g. scripts/run.sh --panel receptive_field).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
bin=build/app/genlab

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$bin" "$@"
fi

out="$PWD/genlab-shots"
mkdir -p "$out"
echo "run: no display (DISPLAY is not set), so GenLab cannot open a window here."
echo "run: rendering every panel to PNG under Xvfb instead..."
for panel in $("$bin" --help | sed -n 's/.*Open on a panel: //p' | tr -d '|'); do
  xvfb-run -a -s "-screen 0 1600x1000x24" "$bin" --panel "$panel" \
    --screenshot "$out/$panel.png" --size 1600x1000
  echo "run:   $out/$panel.png"
done
echo "run: done. Open the PNGs above, or run GenLab on a machine with a display."
