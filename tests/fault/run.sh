#!/usr/bin/env bash
# tests/fault/run.sh MODE [ARGS...]: the fault runs that take longer than a test, as commands.
#
#   power-cut [N]
#       N cycles (default 1000) on each target of the power-loss VFS (tests/support/power_cut_vfs.hpp):
#       the client store (vigil_power_cut_client) and the server's ingest (vigil_power_cut_server)
#       each work, lose the power at a random write or sync, reopen and check every acknowledged
#       answer, record, blob and receipt (tests/fault/power_cut.hpp). Prints one JSON line:
#       cycles, acknowledged, lost, corrupt in total and per target. Exit 0 when lost and corrupt
#       are 0 on both.
#       VIGIL_POWER_CUT_SYNCHRONOUS=OFF: the deliberate experiment (PRAGMA synchronous = OFF set
#       by the drivers after the product opened its database; NORMAL likewise); exit 0 only when
#       both targets report lost > 0, i.e. the check caught it.
#       VIGIL_POWER_CUT_SEED=N repeats a run. The drivers are built in build/dev (VIGIL_PRESET to
#       change it) unless VIGIL_POWER_CUT_CLIENT and VIGIL_POWER_CUT_SERVER name them (ctest).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-}
[[ -n "$mode" ]] || { sed -n '2,18p' "$0"; exit 64; }
shift

case "$mode" in
  power-cut)
    cycles=${1:-1000}
    client=${VIGIL_POWER_CUT_CLIENT:-}
    server=${VIGIL_POWER_CUT_SERVER:-}
    if [[ -z "$client" || -z "$server" ]]; then
      build="$root/build/${VIGIL_PRESET:-dev}"
      [[ -f "$build/build.ninja" ]] || (cd "$root" && cmake --preset "${VIGIL_PRESET:-dev}" >/dev/null)
      cmake --build "$build" -j2 --target vigil_power_cut_client vigil_power_cut_server >/dev/null
      client="$build/tests/vigil_power_cut_client"
      server="$build/tests/vigil_power_cut_server"
    fi
    # Each driver prints its JSON line last (problems, if any, on stderr); its exit status is
    # read from the line below, not from the driver.
    client_line=$("$client" "$cycles" | tail -n 1) || true
    server_line=$("$server" "$cycles" | tail -n 1) || true
    exec python3 - "$cycles" "$client_line" "$server_line" "${VIGIL_POWER_CUT_SYNCHRONOUS:-FULL}" <<'EOF'
import json, sys
cycles, lines, synchronous = int(sys.argv[1]), sys.argv[2:4], sys.argv[4]
try:
    client, server = (json.loads(l) for l in lines)
except ValueError:
    print("run.sh: a driver did not print its JSON line:", lines, file=sys.stderr)
    sys.exit(1)
total = {k: client[k] + server[k] for k in ("acknowledged", "lost", "corrupt")}
print(json.dumps({"cycles": cycles, **total, "synchronous": synchronous, "client": client, "server": server}))
if synchronous != "FULL":
    caught = client["lost"] > 0 and server["lost"] > 0
    print("synchronous=" + synchronous + ": the loss was " + ("caught on both targets" if caught else "NOT caught"),
          file=sys.stderr)
    sys.exit(0 if caught else 1)
sys.exit(0 if total["lost"] == 0 and total["corrupt"] == 0 and client["errors"] == 0 and server["errors"] == 0 else 1)
EOF
    ;;
  *)
    echo "run.sh: unknown mode $mode" >&2
    exit 64
    ;;
esac
