#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, separate CMake project in tests/fuzz, build dir build/fuzz)
# and runs each for SECONDS (default 20) from its seed corpus. Briefly in CI, longer on demand:
#
#   tests/fuzz/run.sh            20 s per target
#   tests/fuzz/run.sh 600        10 minutes per target
#   FUZZ_TARGETS=fuzz_api_records tests/fuzz/run.sh 60
#   FUZZ_JOBS=1 tests/fuzz/run.sh    build on one core (default: every core, nproc)
#
# The targets (docs/DEVELOPING.md says what each one checks):
#   fuzz_request_decoding  every JSON message of the device protocol, base64, hex, CSRs
#   fuzz_api_records       the device API over a real database (records, blobs, enrolment)
#   fuzz_canonical         the VCE1 decoder
#   fuzz_package           packages, their plaintext (assessment JSON), sitting grants, start codes
#   fuzz_certificate       the certificate verifier: credentials, revocation lists, issuer key sets
#   fuzz_content           the content format (a content directory, as authoring reads it)
#   fuzz_staff_api         the staff API's JSON bodies and the endorsement CSV import
#   fuzz_client_ui         the candidate UI's API over a real SQLCipher store
#
# The seed corpus is copied to a temporary directory, so runs never grow the repository; the
# temporary directory (also the targets' TMPDIR, where the API targets keep their databases) is
# removed at the end. A crashing input is kept as build/fuzz/artifacts/<target>-crash-<sha1>, and
# the line printed for it says how to reproduce it. Exit status: 0 when every target ran clean,
# 1 when one crashed, leaked, hung or tripped a sanitizer, 2 when the build failed.
set -euo pipefail

seconds=${1:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -lt 1 ]]; then
  echo "usage: $0 [SECONDS per target]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${VIGIL_FUZZ_BUILD_DIR:-$root/build/fuzz}
targets=(${FUZZ_TARGETS:-fuzz_request_decoding fuzz_api_records fuzz_canonical fuzz_package fuzz_certificate
          fuzz_content fuzz_staff_api fuzz_client_ui})
jobs=${FUZZ_JOBS:-$(nproc)}

for tool in clang clang++ cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool is needed (apt-get install clang-14 cmake ninja-build)" >&2
    exit 2
  fi
done

echo "fuzz: building in ${build#"$root"/}"
mkdir -p "$build"
if ! { CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja >"$build/configure.log" 2>&1 \
       || { cat "$build/configure.log" >&2; false; }; } ||
   ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1; then
  [[ -f $build/build.log ]] && tail -50 "$build/build.log" >&2
  echo "fuzz: the build failed" >&2
  exit 2
fi

# RAM-backed scratch space when there is some (the API targets fsync every request).
scratch_base=${TMPDIR:-/tmp}
[[ -d /dev/shm && -w /dev/shm ]] && scratch_base=/dev/shm
work=$(mktemp -d "$scratch_base/vigil-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"

status=0
for target in "${targets[@]}"; do
  dir=$work/$target
  mkdir -p "$dir/corpus" "$dir/tmp"
  if [[ -d $here/corpus/$target ]]; then
    cp "$here/corpus/$target"/* "$dir/corpus/" 2>/dev/null || true
  fi
  seeds=$(find "$dir/corpus" -type f | wc -l)
  log=$dir/log
  rc=0
  # -timeout: an input taking this long is a hang; -rss_limit_mb: so is a memory blow-up.
  TMPDIR=$dir/tmp \
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$target-" "$dir/corpus" >"$log" 2>&1 || rc=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [[ $rc -eq 0 && -z $artifact ]]; then
    printf 'fuzz: %-22s ok      %s runs in %ss, coverage %s edges / %s features, corpus %s -> %s\n' \
      "$target" "${runs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "$seeds" "${corp:-?}"
  else
    status=1
    reason=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|^fuzz_[a-z_]*: ' "$log" || true)
    printf 'fuzz: %-22s FAILED  (exit %s) %s\n' "$target" "$rc" "${reason:-see the log below}"
    [[ -n $artifact ]] && echo "fuzz:   input kept: $artifact; reproduce: $build/$target $artifact"
    echo "---- last 60 lines of the $target log ----"
    tail -60 "$log"
    echo "----"
  fi
done
exit $status
