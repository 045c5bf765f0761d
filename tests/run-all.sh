#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds the
# `dev` preset (debug, assertions) and the `asan` preset (AddressSanitizer + UBSan), and runs
# every test in both. Warnings are errors. This is what .ci/run runs.
#
#   tests/run-all.sh            both presets
#   tests/run-all.sh dev        one preset
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packaging/install-deps.sh

presets=("$@")
[[ ${#presets[@]} -gt 0 ]] || presets=(dev asan)
jobs=$(nproc)
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j"$jobs"
done
