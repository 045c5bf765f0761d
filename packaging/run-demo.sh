#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds the release
# preset and runs the whole loop that exists today, on the embedded defaults, on 127.0.0.1:
#
#   1. a Vigil server is initialised (keys, development certificates, SQLite) and started;
#   2. a council's candidate is added and gets a one-time enrolment code;
#   3. the candidate's client enrols its device with that code (TLS 1.3, device certificate);
#   4. a scripted session is written to the encrypted local store, the store is reopened as after
#      a power cut, the journal verified, and the session submitted with a sealed evidence snapshot;
#   5. the client syncs to the server and keeps the server's signed receipt;
#   6. the receipt is verified offline, and a one-byte change to it is shown to fail.
#
# It finishes by itself and prints where to look.
#
#   packaging/run-demo.sh [--dir DIR] [--keep-serving]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dir=""
keep_serving=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --keep-serving) keep_serving=1; shift ;;
    *) echo "usage: packaging/run-demo.sh [--dir DIR] [--keep-serving]" >&2; exit 64 ;;
  esac
done

packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target vigil-client vigil-server

S=$root/build/release/server/vigil-server
C=$root/build/release/client/vigil-client
[[ -n "$dir" ]] || dir=$(mktemp -d /tmp/vigil-demo.XXXXXX)
mkdir -p "$dir"
client=(--data "$dir/client" --key-storage file)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Server: initialise and start on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$S" init "$dir/server" --host 127.0.0.1 --port "$port"
"$S" serve "$dir/server" > "$dir/server.log" 2>&1 &
server_pid=$!
stop_server() { kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT
for _ in $(seq 100); do grep -q "listening on" "$dir/server.log" && break; sleep 0.1; done
head -1 "$dir/server.log"

say "2. Council: add a candidate and issue a one-time enrolment code"
out=$("$S" admin add-candidate "$dir/server" --council leeds --council-name "Leeds City Council" \
        --candidate c-0001 --name "Amara Okafor" --email amara.okafor@example.org --level practitioner)
echo "$out"
code=$(sed -n 's/^enrolment code: \([A-Z0-9-]*\).*/\1/p' <<<"$out")

say "3. Candidate: enrol this device with the code"
"$C" "${client[@]}" enrol --trust "$dir/server/published/client-trust.json" --code "$code"

say "4. Candidate: sit a scripted session (offline), then submit it"
"$C" "${client[@]}" demo --submit

say "5. Candidate: sync to the server (TLS 1.3, device certificate) and keep the receipt"
"$C" "${client[@]}" sync --timeout 60
"$C" "${client[@]}" receipt demo-session-1 --out "$dir/receipt.json"
"$C" "${client[@]}" status

say "6. Anyone: verify the receipt offline with the server's published key"
"$C" verify-receipt "$dir/receipt.json" --key "$dir/server/published/receipt-public.key"
sed 's/"final_seq":\([0-9]*\)/"final_seq":9\1/' "$dir/receipt.json" > "$dir/receipt-altered.json"
if "$C" verify-receipt "$dir/receipt-altered.json" --key "$dir/server/published/receipt-public.key"; then
  echo "the altered receipt verified: this is a bug" >&2; exit 1
fi
echo "(the altered copy was refused, as it should be)"

device=$("$C" "${client[@]}" status | sed -n 's/^device: *//p')
say "What the server holds for the session"
"$S" admin session-info "$dir/server" --device "$device" --session demo-session-1 | head -12

cat <<EOF2

Demo finished. Everything is in $dir:
  server/          the server's home (config.json, vigil.db, pki/, published/)
  server.log       the server's log
  client/          the candidate's encrypted store (store.db) and its key file
  receipt.json     the signed receipt; check it with:
                   $C verify-receipt $dir/receipt.json --key $dir/server/published/receipt-public.key
EOF2

if [[ $keep_serving -eq 1 ]]; then
  echo "The server keeps running on https://127.0.0.1:$port (Ctrl-C to stop)."
  wait "$server_pid"
fi
