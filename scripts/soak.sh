#!/usr/bin/env bash
# Soak test (not run in CI): every panel plays in the real app under Xvfb, its default state
# and its heaviest preset, and its resident memory must stay flat (< 5 % growth after the
# warm-up). Usage: scripts/soak.sh [seconds-per-panel, default 600] [extra soak.py options]
# e.g. scripts/soak.sh 600 --csv /tmp/soak.csv. Builds first if the binary is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
[ -x build/app/genlab ] || scripts/build.sh
GENLAB_BIN="${GENLAB_BIN:-$PWD/build/app/genlab}" exec /usr/bin/python3 tests/e2e/soak.py \
  --seconds-per-panel "$seconds" "$@"
