#!/usr/bin/env bash
# Builds the `sanitize` preset (clang 14, ASan + UBSan, build-sanitize/) and runs every test in
# it: core and model unit tests, the end-to-end tests under Xvfb against the sanitized genlab,
# the fuzzer's regression inputs and presets, and a 60 s fuzzing run. Any sanitizer finding
# aborts the process it happens in, so the test fails. Extra arguments go to ctest
# (e.g. scripts/sanitize.sh -R e2e_cli, or -LE fuzz to skip the 60 s run).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j"$(nproc 2>/dev/null || echo 2)"
source scripts/sanitizer-env.sh
# The sanitized app renders several times slower: the e2e harness stretches its waits and
# its person-like pauses by this factor (tests/e2e/harness.py, TIME_SCALE).
export GENLAB_E2E_TIME_SCALE=${GENLAB_E2E_TIME_SCALE:-4}
cd build-sanitize
../scripts/ctest-phases.sh --output-on-failure --timeout 900 "$@"
