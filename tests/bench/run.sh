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
#   staff [DIR] [ROUNDS]
#       seeds 30,000 candidates, 2,000 sessions and 100,000 flags, then times the council status
#       API and the proctor queue API (p50/p95): JSON keys status_p95_ms, queue_p95_ms.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
name=${1:-}
[[ -n "$name" ]] || { sed -n '2,15p' "$0"; exit 64; }
shift

cd "$root"
if [[ ! -f build/release/build.ninja ]]; then
  cmake --preset release >/dev/null
fi
build() { cmake --build build/release -j"$(nproc)" --target "$@" >/dev/null; }

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
  staff)
    build vigil_bench_staff
    exec build/release/tests/bench/vigil_bench_staff "${1:-$root/build/bench-staff}" "${2:-200}"
    ;;
  *)
    echo "unknown benchmark: $name (known: store, server, staff)" >&2
    exit 64
    ;;
esac
