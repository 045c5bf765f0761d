#!/usr/bin/env bash
# A real full disk: a 3 MiB tmpfs in a private mount namespace holds the store and a filler file.
# The probe saves until the disk is full, expects a disk_full error, then frees the filler and
# checks that every acknowledged save is intact and saving works again.
# Needs root (mount namespaces); exits 77 (skipped) otherwise.
set -euo pipefail
probe=$1
source "$(dirname "$0")/namespace_lib.sh"
in_namespace '
  mount -t tmpfs -o size=3m vigiltest "$1"
  head -c 512K /dev/zero > "$1/filler"
  "$2" disk-full "$1/store" "$1/filler"
'
expect '^FULL_AFTER [0-9]* disk_full .*disk .* is full' "no clear disk-full error"
expect "^SAVED_AFTER_SPACE_FREED$" "the running client could not save once space was freed"
expect '^DISK_FULL_OK ' "state not intact after freeing space"
echo "PASS"
