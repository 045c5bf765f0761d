#!/usr/bin/env bash
# tests/bench/run.sh NAME [ARGS...]: builds the release preset and runs one benchmark. Each prints
# readable figures and, as its last line, one line of JSON with its figures.
#
#   store [DIR] [SAVES] [JOURNAL_RECORDS]
#       durable answer save p50/p99 vs raw 4 KiB write+fdatasync on the same filesystem (DIR,
#       default: a folder under build/, i.e. the repository's filesystem), journal append/verify.
#   server [--devices N] [--sessions-large N] [--hs-seconds S] [...]   (--help: every option)
#       the real vigil-server on 127.0.0.1: sessions/s and records/s from N devices syncing at once,
#       record-batch p50/p99, new TLS 1.3 connections/s against `openssl s_server`, RSS with 1,000
#       idle connections, server CPU per session at 100 vs 10,000 stored sessions. ~5-10 minutes.
#   client [SAVES] [LAUNCHES]
#       the candidate client in chromium: answer save from the page's request to the durable
#       response and a no-op GET /api/state beside it (p50/p99), launch to first paint. ~1 minute.
#   vision-accuracy [DIR] [--predictions FILE] [--model ONNX]
#       the webcam checks on a labelled directory (default: ../shared/fixtures/faces): precision and
#       recall per check on the stills, face count by lighting, detection recall by lighting and
#       skin tone, event detection and false flags on the clips. --predictions writes the CSV
#       file,kind,faces,start_s,end_s,flag (docs/VISION.md). --model /none measures the Haar fallback.
#   vision-speed [DIR]
#       per-frame cost of the checks at 640x480 on one thread vs OpenCV's Haar face detector, and
#       CPU at 5 fps through the real Monitor (~40 s).
#   vision-soak [DIR] [--hours H]
#       RSS of a Monitor session (default 4 h at 5 fps) fed faster than real time from a looping clip.
#   staff [DIR] [ROUNDS]
#       seeds 30,000 candidates, 2,000 sessions and 100,000 flags, then times the council status
#       API and the proctor queue API (p50/p95): JSON keys status_p95_ms, queue_p95_ms.
#   equalities [DIR] [ROUNDS]
#       seeds a window of 10,000 scored sittings (8,000 declarations, 1,000 flagged), then times the
#       admin's equalities report, JSON and CSV (p50/p95): JSON keys equalities_report_p95_ms,
#       equalities_csv_p95_ms, sittings.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
name=${1:-}
[[ -n "$name" ]] || { sed -n '2,31p' "$0"; exit 64; }
shift

cd "$root"
if [[ ! -f build/release/build.ninja ]]; then
  cmake --preset release >/dev/null
fi
# Quiet when the build works; the whole compiler output when it does not.
build() {
  local log; log=$(mktemp)
  if ! cmake --build build/release -j"$(nproc)" --target "$@" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "run.sh: the release build failed" >&2; exit 1
  fi
  rm -f "$log"
}

case "$name" in
  store)
    build vigil_bench_store
    dir=${1:-$root/build/bench-store}
    exec build/release/tests/bench/vigil_bench_store "$dir" "${2:-2000}" "${3:-500000}"
    ;;
  server)
    build vigil_bench_server vigil-server
    exec build/release/tests/bench/vigil_bench_server "$@"
    ;;
  equalities)
    build vigil_bench_equalities
    exec build/release/tests/bench/vigil_bench_equalities "${1:-$root/build/bench-equalities}" "${2:-50}"
    ;;
  staff)
    build vigil_bench_staff
    exec build/release/tests/bench/vigil_bench_staff "${1:-$root/build/bench-staff}" "${2:-200}"
    ;;
  client)
    build vigil-client vigil-server
    export VIGIL_CLIENT_EXE=$root/build/release/client/vigil-client VIGIL_SERVER_EXE=$root/build/release/server/vigil-server
    export VIGIL_SOURCE_DIR=$root
    exec node "$root/tests/bench/bench_client.js" "${1:-1000}" "${2:-10}"
    ;;
  vision-accuracy)
    build vigil_bench_vision
    exec build/release/tests/bench/vigil_bench_vision accuracy "$@"
    ;;
  vision-speed)
    build vigil_bench_vision
    exec build/release/tests/bench/vigil_bench_vision speed "$@"
    ;;
  vision-soak)
    build vigil_bench_vision
    exec build/release/tests/bench/vigil_bench_vision soak "$@"
    ;;
  *)
    echo "unknown benchmark: $name (known: store, server, client, vision-accuracy, vision-speed, vision-soak, staff)" >&2
    exit 64
    ;;
esac
