#!/usr/bin/env bash
# A real read-only filesystem: a store is written on a tmpfs, the tmpfs is remounted read-only,
# and opening the store must give a clear read_only error; remounted read-write, every answer is
# still there, the journal verifies and the integrity check passes.
# Needs root (mount namespaces); exits 77 (skipped) otherwise.
set -euo pipefail
probe=$1
source "$(dirname "$0")/namespace_lib.sh"
in_namespace '
  mount -t tmpfs -o size=16m vigiltest "$1"
  "$2" seed "$1/store" 40
  mount -o remount,ro "$1"
  "$2" open "$1/store" || true
  mount -o remount,rw "$1"
  "$2" check "$1/store" 40
'
expect '^ERROR read_only .*read-only' "no clear read-only error"
expect '^CHECKED 40$' "answers not intact"
echo "PASS"
