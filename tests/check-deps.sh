#!/usr/bin/env bash
# Module dependency rules (docs/ARCHITECTURE.md), checked on every test run:
#  - shared/ includes no Asio/Beast or OpenCV, and SQLite only in shared/sqlite/;
#  - client/ and server/ never include each other;
#  - only client/vision/ includes OpenCV; only server/net/ includes Beast on the server side.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
status=0
violations() {  # description, grep pattern, paths...
  local what=$1 pattern=$2; shift 2
  local hits
  hits=$(grep -rnE "$pattern" "$@" --include='*.hpp' --include='*.cpp' --include='*.h' 2>/dev/null || true)
  if [[ -n "$hits" ]]; then
    echo "VIOLATION: $what"; echo "$hits"; status=1
  fi
}
violations "shared/ must not use Asio, Beast or OpenCV" '#include *[<"](boost/|opencv)' shared
violations "only shared/sqlite/ may use SQLite in shared/" \
  '#include *[<"](sqlite3|sqlcipher)' $(find shared -mindepth 1 -maxdepth 1 -type d ! -name sqlite)
violations "client/ must not include server/" '#include *"server/' client
violations "server/ must not include client/" '#include *"client/' server
if [[ -d client ]]; then
  violations "only client/vision/ may include OpenCV" '#include *[<"]opencv' $(find client -mindepth 1 -maxdepth 1 -type d ! -name vision)
fi
if [[ -d server ]]; then
  violations "only server/net/ may include Beast" '#include *[<"]boost/beast' $(find server -mindepth 1 -maxdepth 1 -type d ! -name net)
fi
[[ $status -eq 0 ]] && echo "dependency rules hold"
exit $status
