#!/usr/bin/env bash
# Module dependency rules (docs/ARCHITECTURE.md), checked on every test run:
#  - shared/ includes no Asio/Beast or OpenCV, and SQLite only in shared/sqlite/; of Boost, only
#    Boost.URL, and only in shared/http/;
#  - client/ and server/ never include each other;
#  - only client/vision/ includes OpenCV; only server/net/ includes Beast on the server side.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
status=0
violations() {  # description, grep pattern, paths...
  local what=$1 pattern=$2; shift 2
  local hits
  hits=$(grep -rnP "$pattern" "$@" --include='*.hpp' --include='*.cpp' --include='*.h' 2>/dev/null || true)
  if [[ -n "$hits" ]]; then
    echo "VIOLATION: $what"; echo "$hits"; status=1
  fi
}
violations "shared/ must not use Asio, Beast or OpenCV" '#include *[<"](boost/|opencv)' $(find shared -mindepth 1 -maxdepth 1 -type d ! -name http)
violations "shared/http/ may use Boost.URL only (no Asio, Beast or OpenCV)" '#include *[<"](boost/(?!url[/.])|opencv)' shared/http
violations "only shared/sqlite/ may use SQLite in shared/" \
  '#include *[<"](sqlite3|sqlcipher)' $(find shared -mindepth 1 -maxdepth 1 -type d ! -name sqlite)
violations "client/ must not include server/" '#include *"server/' client
violations "server/ must not include client/" '#include *"client/' server
if [[ -d client ]]; then
  violations "only client/vision/ may include OpenCV" '#include *[<"]opencv' $(find client -mindepth 1 -maxdepth 1 -type d ! -name vision)
fi
if [[ -d server ]]; then
  violations "only server/net/ may include Beast" '#include *[<"]boost/beast' $(find server -mindepth 1 -maxdepth 1 -type d ! -name net)
  # The server by capability (docs/ARCHITECTURE.md): each folder includes only the folders beneath
  # it, storage <- home <- packages <- results <- device <- staff <- app (server/CMakeLists.txt
  # links them in the same order, so a violation would also fail to link).
  violations "only server/storage/ may use SQLite or the SQLite layer" \
    '#include *[<"](sqlite3|sqlcipher|shared/sqlite/)' $(find server -mindepth 1 -maxdepth 1 -type d ! -name storage)
  below() {  # folder, the server folders it may include
    local dir=$1; shift
    local allowed="net|embedded|$dir"; for a in "$@"; do allowed+="|$a"; done
    [[ -d server/$dir ]] && violations "server/$dir/ may include only server/{$(echo "$@" | tr ' ' ,)}" \
      "#include *\"server/(?!($allowed)/)" server/$dir
    return 0
  }
  below storage
  below home storage
  below packages home storage
  below results packages home storage
  below device results packages home storage
  below staff device results packages home storage
  violations "server/net/ includes no other server folder" '#include *"server/(?!net/)' server/net
fi
[[ $status -eq 0 ]] && echo "dependency rules hold"
exit $status
