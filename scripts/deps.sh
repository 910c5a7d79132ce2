#!/usr/bin/env bash
# Installs the Debian 12 packages GenLab needs to build, run and test. Idempotent: it only
# calls apt-get when something is missing, and uses sudo when not run as root.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config git
  # libraries (README.md, "Dependencies")
  libglfw3-dev libimgui-dev libstb-dev python3-glad libeigen3-dev nlohmann-json3-dev
  libcli11-dev fonts-dejavu-core libmuparser-dev
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev python3
  # the sanitizer build and the fuzzer (scripts/sanitize.sh, scripts/fuzz.sh): clang 14 with
  # its ASan/UBSan/libFuzzer runtimes, and llvm-symbolizer for readable stacks
  clang-14 libclang-rt-14-dev llvm-14
  # headless GL and end-to-end tests: Xvfb with Mesa llvmpipe, X input from xdotool
  xvfb xauth xdotool xclip x11-utils desktop-file-utils libgl1-mesa-dri libglx-mesa0
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} Debian packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "deps: missing ${missing[*]}; run this script as root or install sudo" >&2
    exit 1
  fi
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
