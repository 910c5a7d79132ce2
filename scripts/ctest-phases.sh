#!/usr/bin/env bash
# Runs the ctest suite of the current build directory in two phases: the unit tests, fuzz
# replays and the fuzzing run two at a time (they share nothing and each is CPU-bound), then the
# end-to-end tests (label e2e) one at a time, because they drive one X server each and several
# of them measure frame times. Extra arguments go to both phases; a phase they leave empty
# passes.
set -euo pipefail
jobs=$(nproc 2>/dev/null || echo 2)
ctest -j"$jobs" -LE e2e --no-tests=ignore "$@"
ctest -L e2e --no-tests=ignore "$@"
