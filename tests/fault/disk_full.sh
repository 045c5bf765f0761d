#!/usr/bin/env bash
# A real full disk: a 3 MiB tmpfs in a private mount namespace holds the store and a filler file.
# The probe saves until the disk is full, expects a disk_full error, then frees the filler and
# checks that every acknowledged save is intact and saving works again.
# Needs root (mount namespaces); exits 77 (skipped) otherwise.
set -euo pipefail
probe=$1
source "$(dirname "$0")/namespace_lib.sh"
out=$(unshare -m bash -c '
  set -e
  mount -t tmpfs -o size=3m vigiltest "$1"
  head -c 512K /dev/zero > "$1/filler"
  "$2" disk-full "$1/store" "$1/filler"
' _ "$work" "$probe" 2>&1) || { echo "$out"; echo "FAIL: probe failed"; exit 1; }
echo "$out"
grep -q '^FULL_AFTER [0-9]* disk_full .*disk .* is full' <<<"$out" || { echo "FAIL: no clear disk-full error"; exit 1; }
grep -q "^SAVED_AFTER_SPACE_FREED$" <<<"$out" || { echo "FAIL: the running client could not save once space was freed"; exit 1; }
grep -q '^DISK_FULL_OK ' <<<"$out" || { echo "FAIL: state not intact after freeing space"; exit 1; }
echo "PASS"
