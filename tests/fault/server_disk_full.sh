#!/usr/bin/env bash
# The server's disk fills under device sync (docs/OPERATIONS.md, "When the disk fills"): a 16 MiB
# tmpfs in a private mount namespace holds the server home and a filler file. The probe
# (tests/fault/server_disk_full.cpp) syncs answers until the server refuses, expects 507
# disk_full and nothing acknowledged lost, frees the filler, expects the retry taken, and checks
# the database reopened. Needs root (mount namespaces); exits 77 (skipped) otherwise.
set -euo pipefail
probe=$1
source "$(dirname "$0")/namespace_lib.sh"
in_namespace '
  mount -t tmpfs -o size=16m vigiltest "$1"
  head -c 4M /dev/zero > "$1/filler"
  "$2" "$1/home" "$1/filler"
'
expect '^FULL_AFTER [0-9]* [0-9]* 507 disk_full .*full' "no clear 507 disk_full refusal"
expect '^BLOB_REFUSED 507 disk_full' "an evidence upload on the full disk was not refused with 507"
expect '^RESUMED [0-9]*' "the server did not take the retry once space was freed"
expect '^DISK_FULL_OK [0-9]*' "acknowledged records missing or the database damaged after reopening"
echo "PASS"
