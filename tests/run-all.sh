#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds the
# `dev` preset (debug, assertions) and the `asan` preset (AddressSanitizer + UBSan), runs every
# test in both, then runs each libFuzzer target briefly (clang). Warnings are errors. This is what
# .ci/run runs.
#
#   tests/run-all.sh            both presets, then the fuzzers for VIGIL_FUZZ_SECONDS (default 15) each
#   tests/run-all.sh dev        one preset, no fuzzing
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packaging/install-deps.sh

presets=("$@")
fuzz=0
if [[ ${#presets[@]} -eq 0 ]]; then
  presets=(dev asan)
  fuzz=1
fi
jobs=$(nproc)
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j"$jobs"
done

if [[ $fuzz -eq 1 ]]; then
  echo "=== fuzz: each target for ${VIGIL_FUZZ_SECONDS:-15} s (longer: tests/fuzz/run.sh SECONDS)"
  tests/fuzz/run.sh "${VIGIL_FUZZ_SECONDS:-15}"
fi
