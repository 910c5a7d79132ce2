#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: core and model unit tests, and the
# end-to-end tests that drive the real app under Xvfb with xdotool.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 300 "$@"
