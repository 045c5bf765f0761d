#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds the
# `dev` preset (debug, assertions) and the `asan` preset (AddressSanitizer + UBSan), runs every
# test in both and the Windows client's tests under Wine, then runs each libFuzzer target briefly
# (clang). Warnings are errors. This is what .ci/run runs.
#
#   tests/run-all.sh            dev, then the Windows client under Wine (tests/run-windows.sh: its
#                               cross-build, unit tests, installer and journey; the journey uses
#                               the dev build's server), then asan, then the fuzzers for
#                               VIGIL_FUZZ_SECONDS (default 15) each
#   tests/run-all.sh dev        one preset, no fuzzing
#   tests/run-all.sh dev windows  the dev preset, then the Windows client under Wine
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Each phase's wall time, printed as it ends and again at the end (the fresh-machine figures).
t_start=$(date +%s); t_phase=$t_start; timings=()
phase_done() {
  local now; now=$(date +%s)
  timings+=("$(printf '%-28s %5d s' "$1" $((now - t_phase)))")
  echo "=== $1: $((now - t_phase)) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
  t_phase=$now
}

# First, in seconds: would this setup still work on a bare Debian 12? (Catches what a machine
# that already has everything installed hides: apt conflicts, npm features Debian's npm lacks.)
echo "=== check-fresh: would a bare Debian 12 install work?"
packaging/install-deps.sh --check-fresh
phase_done "check-fresh"
packaging/install-deps.sh
phase_done "install (apt, npm, model)"

presets=("$@")
fuzz=0
if [[ ${#presets[@]} -eq 0 ]]; then
  presets=(dev windows asan)
  fuzz=1
fi
jobs=$(nproc)
for preset in "${presets[@]}"; do
  if [[ $preset == windows ]]; then
    echo "=== windows: cross-build, then tests under Wine"
    tests/run-windows.sh
    phase_done "windows: build and test"
    continue
  fi
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  phase_done "${preset}: build"
  echo "=== ${preset}: test"
  # A test that fails is run once more before it counts as failed: the browser journeys drive
  # real chromium against real servers on 2 shared cores, and one of them (a staff sign-in under
  # ASan) timed out once on a bare root without a cause found yet (docs/DEVELOPING.md). A test
  # that fails twice fails the run; ctest's output names every test that needed the second try.
  ctest --preset "$preset" -j"$jobs" --repeat until-pass:2
  phase_done "${preset}: test"
done

if [[ $fuzz -eq 1 ]]; then
  echo "=== fuzz: each target for ${VIGIL_FUZZ_SECONDS:-15} s (longer: tests/fuzz/run.sh SECONDS)"
  tests/fuzz/run.sh "${VIGIL_FUZZ_SECONDS:-15}"
  phase_done "fuzz (build and run)"
fi
echo "=== timings"
printf '%s\n' "${timings[@]}"
echo "total                        $(( $(date +%s) - t_start )) s"
