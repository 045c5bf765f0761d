#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds the release
# preset and runs the demo on the embedded defaults. It finishes by itself and prints what it did
# and where to look.
#
#   packaging/run-demo.sh [--dir DIR]     (DIR: where the demo's data goes; default under /tmp)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target vigil-client vigil-server
echo
exec build/release/client/vigil-client demo "$@"
