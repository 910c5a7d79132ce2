#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: core and model unit tests, and the
# end-to-end tests that drive the real app under Xvfb with xdotool. Then the same tests again
# in the sanitizer build (clang, ASan + UBSan), with the fuzzer's regression inputs and a
# 60 s fuzzing run (scripts/sanitize.sh). Each ctest run has two phases (scripts/ctest-phases.sh:
# unit tests two at a time, then the e2e tests one at a time). Extra arguments go to both runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
(cd build && ../scripts/ctest-phases.sh --output-on-failure --timeout 300 "$@")
scripts/sanitize.sh "$@"
