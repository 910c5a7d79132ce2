#!/usr/bin/env bash
# Fuzzes the state/preset loader and --set parsing (tests/fuzz/fuzz_state.cpp) with libFuzzer.
# Usage: scripts/fuzz.sh [SECONDS=60] [BUILD_DIR]
#   Without BUILD_DIR it configures and builds the `sanitize` preset (build-sanitize/) first;
#   ctest passes the directory that holds an already built fuzz_state.
# The corpus starts from assets/presets/*.json, copied at run time into
# build-sanitize/fuzz-corpus/ (kept between runs, never committed). A finding is written to
# build-sanitize/fuzz-findings/ and the script fails; fix the bug, then copy the input into
# tests/fuzz/regressions/ so ctest replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bin_dir=${2:-}
if [ -z "$bin_dir" ]; then
  cmake --preset sanitize >/dev/null
  cmake --build --preset sanitize -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_state
  bin_dir=build-sanitize/tests/fuzz
fi
work=build-sanitize
corpus=$work/fuzz-corpus
findings=$work/fuzz-findings
mkdir -p "$corpus" "$findings"
cp assets/presets/*.json "$corpus"/
cp tests/fuzz/regressions/* "$corpus"/ 2>/dev/null || true

source scripts/sanitizer-env.sh
echo "fuzz: ${seconds}s of $bin_dir/fuzz_state on $corpus (findings go to $findings/)"
exec "$bin_dir/fuzz_state" "$corpus" -dict=tests/fuzz/state.dict -max_total_time="$seconds" \
  -timeout=30 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$findings/"
